"""The audit pages' blueprint; the factory imports the view modules that add routes to it."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
