"""The API's blueprint (token auth, so exempt from CSRF: no browser session reaches it) and the
blueprint of its pages for people (the clients' admin page and the docs), which keep CSRF."""

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

from app.extensions import csrf

bp = ApiBlueprint(
    "api",
    __name__,
    url_prefix="/api",
    description="Locked allowance runs and their lines, payment batches and payments, bank returns.",
)
csrf.exempt(bp)

pages = Blueprint("api_pages", __name__)
