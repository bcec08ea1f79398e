"""The last run of every Celery task, one row per task name, for the admin's system page.

Celery's signals write it: task_prerun (started, outcome "running"), task_failure (the error)
and task_postrun (finished, Celery's state as the outcome). In a worker the row is written on
a connection of its own and committed at once, whatever the task did with its transaction. A
task run eagerly (the tests) writes it in the caller's session, inside a savepoint, so that
the caller's transaction decides, as for the rest of what the task wrote.

Recording never fails a task: an error here is logged and the task goes on.
"""

import logging
import sys
from datetime import datetime

import sqlalchemy as sa
from celery import signals
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.core.logs import mask
from app.core.models import UTCDateTime
from app.core.timeutil import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

ERROR_LENGTH = 500


class TaskRun(db.Model):
    __tablename__ = "task_run"

    name: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="running")
    error: Mapped[str | None] = mapped_column(sa.String(ERROR_LENGTH))

    def __repr__(self) -> str:
        return f"<TaskRun {self.name} {self.outcome}>"


def _save(executor, name: str, values: dict) -> None:
    """Update the task's row, or add it (a second writer adding it first: update it then).
    `executor`: a Connection or a Session (both execute and begin_nested)."""
    table = TaskRun.__table__
    update = sa.update(table).where(table.c.name == name).values(**values)
    if executor.execute(update).rowcount:
        return
    try:
        with executor.begin_nested():
            executor.execute(sa.insert(table).values(name=name, **values))
    except IntegrityError:
        executor.execute(update)


def record(task, values: dict) -> None:
    """Write the task's row (see the module's docstring for which transaction)."""
    try:
        if task.request.is_eager:
            with db.session.begin_nested():
                _save(db.session, task.name, values)
            return
        flask_app = task.app.flask_app
        with flask_app.app_context(), db.engine.begin() as connection:
            _save(connection, task.name, values)
    except Exception:  # the record is for the page: a task must never fail because of it
        log.warning("task_run: could not record a run of %s", getattr(task, "name", "?"), exc_info=True)


# by task id, between the signals of one run
_started_at: dict[str, datetime] = {}
_errors: dict[str, str] = {}


def _started(task_id=None, task=None, **_kwargs) -> None:
    _errors.pop(task_id, None)
    _started_at[task_id] = now = utcnow()
    record(task, {"started_at": now, "finished_at": None, "outcome": "running", "error": None})


def _describe(exception: BaseException) -> str:
    """The error's class and words, an ID number or mobile in them masked as in the log."""
    return mask(f"{type(exception).__name__}: {exception}")[:ERROR_LENGTH]


def _failed(task_id=None, exception=None, **_kwargs) -> None:
    _errors[task_id] = _describe(exception)


def _finished(task_id=None, task=None, state=None, **_kwargs) -> None:
    # the start again: an eager task that rolled back its caller's transaction took that row with it
    error = _errors.pop(task_id, None)
    if state is None and sys.exc_info()[1] is not None:
        # eager and propagating (the tests): no failure signal, the exception is on its way up
        error, state = _describe(sys.exc_info()[1]), "FAILURE"
    outcome = state or "unknown"
    values = {"finished_at": utcnow(), "outcome": outcome.lower(), "error": error}
    started = _started_at.pop(task_id, None)
    record(task, values if started is None else {**values, "started_at": started})


def record_task_runs() -> None:
    """Connect the signals (once per process, whichever app is built first)."""
    uid = "app.core.task_runs"
    signals.task_prerun.connect(_started, weak=False, dispatch_uid=uid)
    signals.task_failure.connect(_failed, weak=False, dispatch_uid=uid)
    signals.task_postrun.connect(_finished, weak=False, dispatch_uid=uid)


def last_runs() -> dict[str, TaskRun]:
    return {run.name: run for run in db.session.scalars(sa.select(TaskRun))}
