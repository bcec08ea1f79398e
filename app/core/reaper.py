"""The reaper: the database, not the broker, is the record of what must be done.

Work that a page or beat queues (an allowance run's parts, an import job) is written first,
with the time it was queued; a worker that takes it records when (claimed_at) and counts the
attempt. Beat runs `reap()` every REAPER_EVERY_SECONDS; it queues again:

- work queued REAPER_STALL_SECONDS ago that no worker has taken since: the message was lost
  (Redis restarted, or was down when the page queued it) or sits behind a dead worker;
- work a worker took and no longer holds: on PostgreSQL a worker holds the row's lock for as
  long as it computes, and the database drops the lock when the process dies, so taken,
  unlocked and unfinished after REAPER_DEAD_SECONDS means its worker is gone (its message may
  wait in Redis for the hour of the visibility timeout). SQLite shows no locks: there the work
  counts as abandoned once the task's hard time limit has passed.

A second copy of a message is harmless: every task here locks its row, and skips work that is
done. After REAPER_MAX_ATTEMPTS takes the work is left alone (and said so in the log).

Core knows no domain: a domain registers its own reaper function (`register`, from
app/factory.py); each returns how many pieces of work it queued again.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.core.timeutil import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

REAPERS: list[Callable[[], int]] = []


def register(reaper: Callable[[], int]) -> None:
    if reaper not in REAPERS:
        REAPERS.append(reaper)


def reap() -> dict[str, int]:
    """Run every registered reaper; one that fails is logged and the others still run."""
    counts = {}
    for reaper in REAPERS:
        try:
            counts[reaper.__name__] = reaper()
            db.session.commit()
        except Exception:  # one domain's failure (a broker blip, a bug) must not stop the others
            db.session.rollback()
            log.exception("reaper %s failed", reaper.__name__)
    resumed = {name: n for name, n in counts.items() if n}
    if resumed:
        log.warning("reaper: queued again %s", resumed)
    return counts


def holds_row_locks() -> bool:
    """Whether a live worker's lock on its row shows (PostgreSQL); SQLite ignores FOR UPDATE."""
    return db.engine.dialect.name == "postgresql"


def hard_limit(task_name: str) -> int:
    annotations = current_app.config["CELERY"].get("task_annotations") or {}
    return int(annotations.get(task_name, {}).get("time_limit", 3600))


def is_stalled(queued_at: datetime | None, claimed_at: datetime | None, now: datetime, task_name: str) -> bool:
    """For work not finished and not locked by a live worker: must it be queued again?"""
    config = current_app.config
    if claimed_at is None or (queued_at is not None and claimed_at < queued_at):  # waiting for a worker
        return queued_at is None or now - queued_at > timedelta(seconds=config["REAPER_STALL_SECONDS"])
    dead_after = config["REAPER_DEAD_SECONDS"] if holds_row_locks() else hard_limit(task_name)
    return now - claimed_at > timedelta(seconds=dead_after)


def take_stalled(query: sa.Select, model, task_name: str) -> tuple[list, list]:
    """The rows of `query` (unfinished work of `model`, which has queued_at, claimed_at and
    attempts) to queue again, marked as queued now, and those that used up their attempts.
    Rows locked by a worker are skipped. Commits nothing; the caller commits, then sends."""
    now = utcnow()
    rows = db.session.scalars(query.with_for_update(skip_locked=True, of=model)).all()
    stalled = [r for r in rows if is_stalled(r.queued_at, r.claimed_at, now, task_name)]
    limit = current_app.config["REAPER_MAX_ATTEMPTS"]
    again = [r for r in stalled if r.attempts < limit]
    given_up = [r for r in stalled if r.attempts >= limit]
    for row in again:
        row.queued_at = now
    for row in given_up:
        log.error("%s %s stopped %s times; not queued again", model.__tablename__, row.id, row.attempts)
    return again, given_up
