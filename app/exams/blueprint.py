"""The exams pages' blueprint; the factory imports the view modules that add routes to it."""

from flask import Blueprint

bp = Blueprint("exams", __name__, url_prefix="/exams")
