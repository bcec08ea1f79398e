"""The request guard: text no person types is refused at the door, before any view sees it.

A NUL byte cannot be stored in PostgreSQL (the driver raises, which was a 500), and other
control characters only ever arrive from broken pastes or probes. Tab, line feed and carriage
return are allowed in form fields (textareas); nothing else of Unicode category Cc is, anywhere
in the path, the query string, a form field or an uploaded file's name. Query values are also
bounded in length: no search or filter needs more.
"""

import unicodedata

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

MAX_QUERY_VALUE = 1000
_FORM_WHITESPACE = frozenset("\t\n\r")
_CONTROL_MESSAGE = _l(
    "What was sent contains an invisible control character (such as a NUL byte), which no field accepts. "
    "Go back, remove it (retype the text rather than pasting it) and try again."
)


class RefusedInput(BadRequest):
    """A 400 whose page says what was wrong."""

    def __init__(self, message):
        super().__init__()
        self.message = message


def has_control_character(text: str, allowed: frozenset = frozenset()) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def check_request() -> None:
    """Raise RefusedInput when the request carries a control character or an over-long query value."""
    if has_control_character(request.path):
        raise RefusedInput(_CONTROL_MESSAGE)
    for name, value in request.args.items(multi=True):
        if has_control_character(name) or has_control_character(value):
            raise RefusedInput(_CONTROL_MESSAGE)
        if len(value) > MAX_QUERY_VALUE:
            raise RefusedInput(_l("A search or filter value is longer than %(n)d characters.", n=MAX_QUERY_VALUE))
    if request.method != "POST":
        return
    for name, value in request.form.items(multi=True):
        if has_control_character(name) or has_control_character(value, _FORM_WHITESPACE):
            raise RefusedInput(_CONTROL_MESSAGE)
    for upload in request.files.values():
        if has_control_character(upload.filename or ""):
            raise RefusedInput(_CONTROL_MESSAGE)


def refused(error: RefusedInput):
    message = str(error.message)
    if request.accept_mimetypes.best == "application/json":
        return {"error": message}, 400
    return render_template("error.html", code=400, message=message), 400


def register_request_guard(app: Flask) -> None:
    app.before_request(check_request)
    app.register_error_handler(RefusedInput, refused)
