from flask import Blueprint

bp = Blueprint("allowance", __name__, url_prefix="/allowance")

from app.allowance import views  # noqa: E402,F401
