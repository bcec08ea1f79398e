"""Logs: one JSON object per line on stdout, from the web processes, the Celery workers and beat.

Every line has time (UTC), level, logger and message, and the request id when it is known.
Each request adds one line (route, status, duration, user id) and sends its id back in
X-Request-ID; a task queued during a request carries that id in its message headers, and the
worker writes one line per task (task id, name, duration, outcome) under the same id.

No line carries a full ID number or mobile: every line is masked on its way out (mask()).
"""

import contextvars
import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from celery import signals
from flask import Flask, g, request
from flask.logging import default_handler

from app.core.identity import mask_id_number

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
_TASK_HEADER = "x_request_id"  # in a Celery message's headers
# An incoming request id is kept only if it is short and plain: it goes into every log line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")

# 17 digits and a digit or X, from the start of a run of digits (a longer run too: an account
# number), except the decimals of a number: a task's duration "0.058704371212963506s" stays.
_ID_NUMBER = re.compile(r"(?<!\d)(?<!\d\.)\d{17}[\dXx]")
# 11 digits from 13 to 19, alone (or after a %-escape in a URL, or +86), spaces or dashes allowed.
_MOBILE = re.compile(r"(?:(?<!\d)|(?<=%[0-9A-Fa-f]{2}))((?:\+?86|0086)?1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)")


def mask(text: str) -> str:
    """The text with every ID number and mobile shown as the lists show them."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILE.sub(r"\1****\2", text)


def _masked(value):
    """Every text in a log entry masked (a traceback, an SQL parameter, a task's arguments);
    numbers stay numbers unless they are an ID number or a mobile."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if mask(str(value)) == str(value) else mask(str(value))
    if isinstance(value, dict):
        return {mask(str(k)): _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_masked(v) for v in value]
    return mask(str(value))


class PersonalDataFilter(logging.Filter):
    """Masks the message of every record, and adds the request id when one is current."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


_PLAIN_RECORD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # what was passed as `extra=`: request_id, route, status, task_id...
        entry.update(
            (k, v) for k, v in vars(record).items() if k not in _PLAIN_RECORD and not (k == "request_id" and v is None)
        )
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(_masked(entry), ensure_ascii=False)


class StdoutHandler(logging.StreamHandler):
    """Writes to sys.stdout as it is at the time of writing (replaced by pytest's capture)."""

    def __init__(self):
        super().__init__()
        self.addFilter(PersonalDataFilter())
        self.setFormatter(JsonFormatter())

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        pass


def configure_logging(level: str | int = "INFO") -> None:
    """Root logger: one StdoutHandler (calling it again replaces it, never adds a second)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, StdoutHandler):
            root.removeHandler(handler)
    root.addHandler(StdoutHandler())
    root.setLevel(level)


def gunicorn_logconfig(level: str) -> dict:
    """gunicorn's own lines (start, workers, errors) in the same JSON on stdout."""
    handler = {"class": f"{__name__}.StdoutHandler"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"json": handler},
        "root": {"level": level.upper(), "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
            # the app writes its own line per request, without the query string; not this one
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }


def init_logging(app: Flask) -> None:
    configure_logging(app.config.get("LOG_LEVEL", "INFO"))
    app.logger.removeHandler(default_handler)  # the root's handler writes app.logger's lines
    # First of all the before_request functions, so a request refused by another one is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_log_request)
    app.teardown_request(_end_request)
    _connect_celery_signals()


log = logging.getLogger("app.request")
task_log = logging.getLogger("app.task")


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else secrets.token_urlsafe(12)
    g.request_started = time.perf_counter()
    request_id_var.set(g.request_id)


def _log_request(response):
    request_id = g.get("request_id") or request_id_var.get()
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    log.info(
        "request",
        extra={
            "request_id": request_id,
            "user_id": _user_id(),
            "method": request.method,
            "route": request.endpoint,
            "path": request.path,  # never the query string: searches hold ID numbers and mobiles
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        },
    )
    return response


def _end_request(_exc) -> None:
    request_id_var.set(None)


def _user_id() -> int | None:
    """The signed-in user's id if the request loaded the user (no query is made for a log line)."""
    user = g.get("_login_user")
    return getattr(user, "id", None) if user is not None and user.is_authenticated else None


_running: dict[str, tuple[float, contextvars.Token]] = {}


def _connect_celery_signals() -> None:
    signals.setup_logging.connect(_celery_logging, weak=False, dispatch_uid="app.core.logs")
    signals.before_task_publish.connect(_carry_request_id, weak=False, dispatch_uid="app.core.logs")
    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="app.core.logs")
    signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="app.core.logs")


def _celery_logging(loglevel=None, **_kwargs) -> None:
    """A receiver here tells Celery to leave logging alone (no own format, no stdout redirect)."""
    configure_logging(loglevel or "INFO")


def _carry_request_id(headers=None, **_kwargs) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(_TASK_HEADER, request_id)


def _task_started(task_id=None, task=None, **_kwargs) -> None:
    # a task run at once (eager, in tests) has no message: it runs inside the queuing request
    request_id = getattr(task.request, _TASK_HEADER, None) or request_id_var.get()
    _running[task_id] = (time.perf_counter(), request_id_var.set(request_id))


def _task_finished(task_id=None, task=None, state=None, **_kwargs) -> None:
    started, token = _running.pop(task_id, (None, None))
    task_log.info(
        "task",
        extra={
            "task_id": task_id,
            "task": task.name,
            "outcome": state,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        },
    )
    if token is not None:
        request_id_var.reset(token)
