from flask import Blueprint

bp = Blueprint("workers", __name__, url_prefix="/workers")

from app.workers import education_views, views  # noqa: E402,F401
