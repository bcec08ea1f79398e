"""Template filters and globals shared by every page."""

from flask import Flask, current_app, request, url_for
from jinja2 import pass_context
from markupsafe import Markup
from wtforms import Form

from app.core.identity import mask_id_number
from app.core.locale import select_locale
from app.core.navigation import back_link
from app.core.timeutil import to_local


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (pagination, sorting)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    # The path's own parts win over a query parameter of the same name (?month=… on /runs/<month>).
    return url_for(request.endpoint, **{**args, **(request.view_args or {})})


def render_parts(parts: list[tuple[str, dict]]) -> list[Markup]:
    """Templates rendered as parts of one page (a record's sections): the context processors
    (the signed-in user, the unread notices…) run once for them all, where render_template runs
    them again for each."""
    shared: dict = {}
    current_app.update_template_context(shared)
    env = current_app.jinja_env
    return [Markup(env.get_template(name).render({**shared, **context})) for name, context in parts]  # noqa: S704 (escaped templates)


@pass_context
def invalid_forms(context) -> list[Form]:
    """The forms on this page that have errors, for the summary base.html shows above the page."""
    return [value for value in context.get_all().values() if isinstance(value, Form) and value.errors]


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["mask_id"] = mask_id_number
    app.jinja_env.globals["url_with"] = url_with  # a global, so imported macros see it too
    app.jinja_env.globals["invalid_forms"] = invalid_forms
    app.jinja_env.globals["back_link"] = back_link

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
