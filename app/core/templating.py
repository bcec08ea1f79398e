"""Template filters and globals shared by every page."""

from flask import Flask, request, url_for

from app.core.identity import mask_id_number
from app.core.locale import select_locale
from app.core.timeutil import to_local


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (pagination, sorting)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["mask_id"] = mask_id_number
    app.jinja_env.globals["url_with"] = url_with  # a global, so imported macros see it too

    @app.template_filter("localtime")
    def localtime(value, fmt="%Y-%m-%d %H:%M"):
        local = to_local(value)
        return local.strftime(fmt) if local else ""

    @app.template_filter("isodate")
    def isodate(value):
        return value.isoformat() if value else ""

    @app.context_processor
    def inject_globals():
        return {
            "current_locale": select_locale(),
            "languages": app.config["LANGUAGES"],
        }
