from flask import Blueprint

bp = Blueprint("workers", __name__, url_prefix="/workers")

from app.workers import views  # noqa: E402,F401
