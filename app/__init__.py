"""The social-work talent plan site. `create_app()` builds it (app/factory.py)."""

from flask import Flask


def create_app(config_name: str | None = None, **overrides) -> Flask:
    # imported here, not above: every `import app.x` runs this package first, and loading the
    # factory loads every domain; a model module must stay cheap to import on its own.
    from app.factory import build_app

    return build_app(config_name, **overrides)
