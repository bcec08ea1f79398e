"""The workers pages' blueprint; the factory imports the view modules that add routes to it."""

from flask import Blueprint

bp = Blueprint("workers", __name__, url_prefix="/workers")
