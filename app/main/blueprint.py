"""The main pages' blueprint; the factory imports the view modules that add routes to it."""

from flask import Blueprint

bp = Blueprint("main", __name__)
