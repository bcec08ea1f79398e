"""Celery tasks for reminders. The scan and the sender never overlap with themselves: each takes
a lock row first; and the notice and delivery keys make a second run harmless anyway."""

import time
from datetime import timedelta

import sqlalchemy as sa
from celery import shared_task
from sqlalchemy.exc import IntegrityError

from app.core.timeutil import utcnow
from app.extensions import db
from app.reminders import delivery, due, notices
from app.reminders.models import TaskLock


def acquire(name: str, seconds: int) -> bool:
    now = utcnow()
    taken = db.session.execute(
        sa.update(TaskLock)
        .where(TaskLock.name == name, TaskLock.locked_until < now)
        .values(locked_until=now + timedelta(seconds=seconds))
    ).rowcount
    if not taken:
        try:
            with db.session.begin_nested():
                db.session.add(TaskLock(name=name, locked_until=now + timedelta(seconds=seconds)))
            taken = 1
        except IntegrityError:
            taken = 0
    db.session.commit()
    return bool(taken)


def release(name: str) -> None:
    db.session.execute(sa.update(TaskLock).where(TaskLock.name == name).values(locked_until=utcnow()))
    db.session.commit()


@shared_task(name="reminders.scan_due")
def scan_due() -> int:
    if not acquire("scan_due", 600):
        return 0
    try:
        created = notices.notify_many(due.due_items())
        db.session.commit()
    finally:
        release("scan_due")
    send_pending.delay()
    return created


# Safe to run twice: each delivery is claimed in the database before it is sent (delivery.py), so
# a message put back after its worker died sends only what was not sent. Routed to the mail queue.
@shared_task(name="reminders.send_pending", acks_late=True, reject_on_worker_lost=True)
def send_pending(budget_seconds: int = 50) -> int:
    """Send batches until nothing is due or the time budget is spent (the next tick goes on)."""
    sent, deadline = 0, time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        counts = delivery.send_batch()
        db.session.commit()
        if not any(counts.values()):
            break
        sent += counts["sent"]
    return sent
