from flask import Blueprint

bp = Blueprint("places", __name__, url_prefix="/places")

from app.places import views  # noqa: E402,F401
