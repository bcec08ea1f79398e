"""The allowance pages' blueprint; the factory imports the view modules that add routes to it."""

from flask import Blueprint

bp = Blueprint("allowance", __name__, url_prefix="/allowance")
