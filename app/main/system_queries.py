"""What the admin's system page reads: Celery's workers and queues, each task's last run, failed
imports and deliveries, the database's size and its migrations.

Every reading stands alone: a source that does not answer (Redis stopped, a worker gone, the
embedded broker that has no remote control) gives its section a state, "unreachable" or
"unknown", never an error page. The error itself goes to the log, not the page.
"""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

import redis
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from app.allowance.models import AllowanceRun, AllowanceRunPart, RunState
from app.core.celery import BeatTick
from app.core.importing import ImportJob, JobState
from app.core.metrics import queue_names
from app.core.schedule import beat_schedule, describe, next_due
from app.core.task_runs import last_runs
from app.core.timeutil import utcnow
from app.extensions import db, migrate
from app.reminders.models import KIND_LABELS, Delivery, DeliveryState

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 1.0
LATEST = 10
# a periodic entry this long past its time was not sent: is beat running?
LATE = timedelta(minutes=2)

OK, UNKNOWN, UNREACHABLE = "ok", "unknown", "unreachable"


@dataclass
class Section:
    """One part of the page: its state (ok, unknown, unreachable) and what was read."""

    state: str = OK
    data: object = None
    extra: dict = field(default_factory=dict)


def _read(what: str, reader: Callable[[], Section]) -> Section:
    try:
        return reader()
    except Exception:  # any source may fail in its own way; the page shows the rest
        log.warning("system page: %s could not be read", what, exc_info=True)
        _rollback()
        return Section(state=UNREACHABLE)


def _rollback() -> None:
    """Leave the session usable for the next section, even when the database itself is gone."""
    try:
        db.session.rollback()
    except Exception:  # the connection is dead: the next section's checkout opens a new one
        log.warning("system page: the rollback failed", exc_info=True)


def _celery():
    return current_app.extensions["celery"]


def _redis_url() -> str | None:
    url = _celery().conf.broker_url or ""
    return url if url.startswith(("redis://", "rediss://", "unix://")) else None


# ---- Celery ----


def _worker_row(name: str, stats: dict) -> dict:
    pool = stats.get("pool") or {}
    return {
        "name": name,
        "concurrency": pool.get("max-concurrency"),
        "processed": sum((stats.get("total") or {}).values()),
    }


def workers() -> Section:
    """The workers that answer a stats broadcast within a second. Only Redis carries the
    broadcast; the embedded broker has no remote control: unknown."""
    if _redis_url() is None:
        return Section(state=UNKNOWN)
    celery = _celery()
    with celery.connection_for_write(connect_timeout=TIMEOUT_SECONDS) as connection:
        connection.connect()  # once, no retries: a broker that is down answers at once
        replies = celery.control.inspect(timeout=TIMEOUT_SECONDS, connection=connection).stats() or {}
    return Section(data=[_worker_row(name, stats) for name, stats in sorted(replies.items())])


def queues() -> Section:
    """Messages waiting in each queue (a Redis list per queue)."""
    url = _redis_url()
    if url is None:
        return Section(state=UNKNOWN)
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        return Section(data=[(name, client.llen(name)) for name in queue_names(_celery().conf)])
    finally:
        client.close()


def tasks() -> Section:
    """Every task of the app with its last run (none: never run since the table existed)."""
    runs = last_runs()
    names = sorted({name for name in _celery().tasks if not name.startswith("celery.")} | runs.keys())
    return Section(data=[(name, runs.get(name)) for name in names])


def periodic() -> Section:
    """Each entry of beat's table (app/core/schedule.py, the one beat reads): its schedule in
    words, when beat last sent it (beat_tick), its task's last run and outcome (task_run), and
    when it is due next."""
    now = utcnow()
    runs = last_runs()
    ticks = dict(db.session.execute(sa.select(BeatTick.name, BeatTick.tick)).all())
    rows = []
    for name, entry in beat_schedule(current_app.config["REAPER_EVERY_SECONDS"]).items():
        sent = datetime.fromtimestamp(ticks[name], UTC) if name in ticks else None
        due = next_due(entry["schedule"], sent, now, _celery())
        rows.append(
            {
                "name": name,
                "task": entry["task"],
                "every": describe(entry["schedule"]),
                "sent": sent,
                "run": runs.get(entry["task"]),
                "due": due,
                "late": due < now - LATE,
            }
        )
    return Section(data=rows)


# ---- the database's records ----


def failed_imports() -> Section:
    stmt = sa.select(ImportJob).where(ImportJob.state == JobState.failed)
    jobs = db.session.scalars(stmt.order_by(ImportJob.id.desc()).limit(LATEST)).all()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    return Section(data=jobs, extra={"total": total})


def deliveries() -> Section:
    counts = dict(
        db.session.execute(
            sa.select(Delivery.state, sa.func.count())
            .where(Delivery.state.in_([DeliveryState.pending, DeliveryState.failed]))
            .group_by(Delivery.state)
        ).all()
    )
    stmt = sa.select(Delivery).where(Delivery.last_error.is_not(None))
    latest = db.session.scalars(stmt.order_by(Delivery.id.desc()).limit(LATEST)).all()
    return Section(
        data=latest,
        extra={
            "pending": counts.get(DeliveryState.pending, 0),
            "failed": counts.get(DeliveryState.failed, 0),
            "kinds": {kind.value: label for kind, label in KIND_LABELS.items()},
        },
    )


def database_size() -> Section:
    """Bytes: pg_database_size on PostgreSQL; the file (and its write-ahead log) on SQLite."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        return Section(data=db.session.scalar(sa.text("SELECT pg_database_size(current_database())")))
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:" or not os.path.exists(path):
        return Section(state=UNKNOWN)
    size = sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
    return Section(data=size)


def allowance() -> Section:
    """The months being computed (parts done of all, the most attempts a part took) and the
    last month locked."""
    part = AllowanceRunPart
    rows = db.session.execute(
        sa.select(
            AllowanceRun.id,
            AllowanceRun.month,
            sa.func.count(part.id),
            sa.func.count(part.id).filter(part.done.is_(True)),
            sa.func.max(part.attempts),
        )
        .join(part, part.run_id == AllowanceRun.id)
        .group_by(AllowanceRun.id, AllowanceRun.month)
        .having(sa.func.count(part.id).filter(part.done.is_(False)) > 0)
        .order_by(AllowanceRun.month.desc())
    ).all()
    locked = sa.select(AllowanceRun).where(AllowanceRun.state == RunState.locked)
    last = db.session.scalars(locked.order_by(AllowanceRun.month.desc()).limit(1)).first()
    return Section(data=rows, extra={"last_locked": last})


@cache
def _script_heads(directory: str) -> frozenset[str]:
    """The revisions this code expects (read once: they change only with a new release)."""
    return frozenset(ScriptDirectory.from_config(migrate.get_config(directory)).get_heads())


def migrations() -> Section:
    connection = db.session.connection()
    current = set()
    if sa.inspect(connection).has_table("alembic_version"):
        current = set(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))
    heads = _script_heads(migrate.directory)
    return Section(data=current == heads, extra={"current": sorted(current), "heads": sorted(heads)})


READERS: dict[str, Callable[[], Section]] = {
    "workers": workers,
    "queues": queues,
    "tasks": tasks,
    "periodic": periodic,
    "imports": failed_imports,
    "deliveries": deliveries,
    "allowance": allowance,
    "database": database_size,
    "migrations": migrations,
}


def system_status() -> dict[str, Section]:
    """Each section of the page, read on its own."""
    return {name: _read(name, reader) for name, reader in READERS.items()}
