"""The reaper: the database, not the broker, is the record of what must be done.

Work that a page or beat queues (an allowance run's parts, an import job) is written first,
with the time it was queued; a worker that takes it records when (claimed_at) and counts the
attempt. Beat runs `reap()` every REAPER_EVERY_SECONDS; it queues again:

- work queued and not taken whose message the broker no longer holds (app/core/broker.py: in
  no queue list, not delivered to a worker), at once: Redis restarted without its data, or was
  down when the page queued it. The message of each piece of work has an id made from the work
  (`task_id`), the same at every send, so the reaper finds it in Redis. Work whose message waits
  in its queue is left to it however long the queue; work whose message was delivered to a
  worker that has not taken it yet (or died first) waits REAPER_STALL_SECONDS, as does all work
  queued and not taken when the broker cannot be read (the embedded sqla+sqlite broker);
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

from app.core import broker
from app.core.timeutil import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

REAPERS: list[Callable[[], int]] = []

# A row is committed as queued just before its message is sent: a message missing from the
# broker this soon after may still be on its way.
IN_FLIGHT_SECONDS = 10
WAITING, DELIVERED, ABSENT = "waiting", "delivered", "absent"


def task_id(task_name: str, *key) -> str:
    """The id of the message that sends one piece of work (e.g. a run's part: its run and
    district): the same at every send, so that the reaper can look for it in the broker."""
    return ":".join([task_name, *("-" if part is None else str(part) for part in key)])


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


def _waited_too_long(queued_at: datetime | None, now: datetime, in_broker: str | None) -> bool:
    """For work queued and not taken since: `in_broker` says where its message is (None: the
    broker could not be read)."""
    if queued_at is None:
        return True
    if in_broker == WAITING:  # its message waits its turn in the queue
        return False
    if in_broker == ABSENT:  # lost, unless it is still on its way
        return now - queued_at > timedelta(seconds=IN_FLIGHT_SECONDS)
    return now - queued_at > timedelta(seconds=current_app.config["REAPER_STALL_SECONDS"])


def is_stalled(
    queued_at: datetime | None, claimed_at: datetime | None, now: datetime, task_name: str, in_broker: str | None = None
) -> bool:
    """For work not finished and not locked by a live worker: must it be queued again?"""
    if claimed_at is None or (queued_at is not None and claimed_at < queued_at):  # waiting for a worker
        return _waited_too_long(queued_at, now, in_broker)
    dead_after = current_app.config["REAPER_DEAD_SECONDS"] if holds_row_locks() else hard_limit(task_name)
    return now - claimed_at > timedelta(seconds=dead_after)


def _where(seen: broker.Snapshot | None, message_id: str) -> str | None:
    if seen is None:
        return None
    if message_id in seen.waiting:
        return WAITING
    return DELIVERED if message_id in seen.delivered else ABSENT


def take_stalled(query: sa.Select, model, task_name: str, key_of: Callable | None = None) -> tuple[list, list]:
    """The rows of `query` (unfinished work of `model`, which has queued_at, claimed_at and
    attempts) to queue again, marked as queued now, and those that used up their attempts.
    Rows locked by a worker are skipped. `key_of(row)`: the key of the row's message id
    (`task_id`), to look for it in the broker; read before and after the rows are locked, so a
    message passing from its queue to a worker meanwhile is seen. Commits nothing; the caller
    commits, then sends."""
    before = broker.snapshot(task_name) if key_of else None
    rows = db.session.scalars(query.with_for_update(skip_locked=True, of=model)).all()
    after = broker.snapshot(task_name) if before is not None and rows else None
    seen = before | after if after is not None else None
    now = utcnow()
    stalled = [
        r
        for r in rows
        if is_stalled(
            r.queued_at, r.claimed_at, now, task_name, key_of and _where(seen, task_id(task_name, *key_of(r)))
        )
    ]
    limit = current_app.config["REAPER_MAX_ATTEMPTS"]
    again = [r for r in stalled if r.attempts < limit]
    given_up = [r for r in stalled if r.attempts >= limit]
    for row in again:
        row.queued_at = now
    for row in given_up:
        log.error("%s %s stopped %s times; not queued again", model.__tablename__, row.id, row.attempts)
    return again, given_up
