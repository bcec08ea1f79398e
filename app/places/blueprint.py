"""The places pages' blueprint; the factory imports the view modules that add routes to it."""

from flask import Blueprint

bp = Blueprint("places", __name__, url_prefix="/places")
