"""Error pages in the user's language; nothing a user types or uploads ends in a 500."""

from flask import Flask, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


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
        message = titles.get(error.code, lambda: error.description)()
        if error.code == 400 and "CSRF" in (error.description or ""):
            message = _("The form has expired. Please go back, reload the page and try again.")
        if request.accept_mimetypes.best == "application/json":
            return {"error": message}, error.code
        return render_template("error.html", code=error.code, message=message), error.code
