"""Error pages in the user's language; nothing a user types or uploads ends in a 500.

A 500 page never touches the database: it may be the database that failed (locked, gone), and
an error page that fails in turn leaves the person with a bare English "Internal Server Error".
So it is a standalone template rendered without the context processors (the navigation, the
signed-in user, the unread-notice count all query the database), in the language the session
chose, else Chinese. Other error pages show the full layout, and fall back to the standalone
page when the layout cannot be drawn.
"""

from flask import Flask, current_app, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError, NotFound

from app.core.services import NotPermitted, RecordNotFound
from app.extensions import db


def register_error_handlers(app: Flask) -> None:
    titles = {
        400: lambda: _("The request could not be understood."),
        403: lambda: _("You do not have permission to see this page."),
        404: lambda: _("This page does not exist, or is outside your scope."),
        405: lambda: _("That action is not allowed here."),
        413: lambda: _(
            "The file is too large. The largest file accepted is %(mb)d MB.",
            mb=app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
        ),
        429: lambda: _("Too many attempts. Please wait a minute and try again."),
    }

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        def message():
            text = titles.get(error.code, lambda: error.description)()
            if error.code == 400 and "CSRF" in (error.description or ""):
                text = _("The form has expired. Please go back, reload the page and try again.")
            return text

        try:
            if request.accept_mimetypes.best == "application/json":
                return {"error": message()}, error.code
            return render_template("error.html", code=error.code, message=message()), error.code
        except Exception:  # the layout needs the database (the signed-in user, the navigation)
            current_app.logger.exception("error page %s drawn without the layout", error.code)
            return standalone_error(error.code, message)

    @app.errorhandler(RecordNotFound)
    def record_not_found(_error: RecordNotFound):
        return http_error(NotFound())

    @app.errorhandler(NotPermitted)
    def not_permitted(_error: NotPermitted):
        return http_error(Forbidden())

    @app.errorhandler(InternalServerError)
    def server_error(_error: InternalServerError):
        return standalone_error(500, lambda: _("Something went wrong on our side. Please try again in a moment."))


def standalone_error(code: int, message):
    """An error page that needs no database: `message` is called once the language is set."""
    try:
        db.session.rollback()  # let go of a failed transaction (and of any lock it holds)
    except Exception:
        current_app.logger.warning("rollback failed while drawing an error page", exc_info=True)
    languages = current_app.config["LANGUAGES"]
    locale = session.get("locale")
    locale = locale if locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        text = message()
        if request.accept_mimetypes.best == "application/json":
            return {"error": text}, code
        template = current_app.jinja_env.get_template("error_standalone.html")
        return template.render(code=code, message=text, current_locale=locale), code
