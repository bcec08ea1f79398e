"""The Celery app, built from the Flask app so every task runs inside its app context; and the
beat scheduler that claims each tick of each entry in the database, so that two beats (one
started by mistake, or a second host) never send the same periodic task twice."""

import logging
from datetime import datetime

import sqlalchemy as sa
from celery import Celery, Task
from celery.beat import PersistentScheduler
from celery.schedules import crontab
from flask import Flask
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from app.core.sqlite import celery_options
from app.core.timeutil import utcnow
from app.extensions import db

log = logging.getLogger(__name__)


QUEUES = ("default", "compute", "imports", "mail")


def queue_name(base: str, queue: str) -> str:
    """The broker's name of a queue: `default` is the default queue itself (CELERY_QUEUE), the
    others are `<CELERY_QUEUE>.<queue>`: celery.compute, celery.imports, celery.mail."""
    return base if queue == "default" else f"{base}.{queue}"


def routing(base: str, queue_of: dict[str, str]) -> dict:
    """Celery's queues and routes, named after the default queue `base`: a worker started
    without -Q consumes all four; `queue_of` (CELERY_QUEUE_OF) sends a task to one of them."""
    names = [queue_name(base, q) for q in QUEUES]
    return {
        "task_queues": {name: {"routing_key": name} for name in names},
        "task_routes": {task: {"queue": queue_name(base, q)} for task, q in queue_of.items()},
    }


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.conf.update(celery_options(app.config["CELERY"]))
    celery_app.conf.update(routing(celery_app.conf.task_default_queue, app.config.get("CELERY_QUEUE_OF", {})))
    celery_app.set_default()
    celery_app.flask_app = app  # the beat scheduler reaches the database through it
    app.extensions["celery"] = celery_app
    return celery_app


class BeatTick(db.Model):
    """The last tick of a beat entry that some beat sent (seconds since the epoch, floored)."""

    __tablename__ = "beat_tick"

    name: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    tick: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


def tick_of(schedule, now: datetime) -> int:
    """The tick `now` belongs to: crontab entries fire at most once a minute, interval entries
    once per interval; two beats firing the same entry within one tick get the same number."""
    period = 60 if isinstance(schedule, crontab) else getattr(schedule, "run_every", None)
    seconds = period if isinstance(period, int) else int(period.total_seconds()) if period else 60
    seconds = max(seconds, 1)
    return int(now.timestamp()) // seconds * seconds


def claim_tick(name: str, tick: int) -> bool:
    """True for the one beat that records this tick first (commits)."""
    taken = db.session.execute(
        sa.update(BeatTick).where(BeatTick.name == name, BeatTick.tick < tick).values(tick=tick)
    ).rowcount
    if not taken:
        try:
            with db.session.begin_nested():
                db.session.add(BeatTick(name=name, tick=tick))
            taken = 1
        except IntegrityError:  # the entry has a row already: its tick is this one or later
            taken = 0
    db.session.commit()
    return bool(taken)


class GuardedScheduler(PersistentScheduler):
    """celery beat's scheduler, sending an entry only when this beat is the first to claim its tick."""

    def apply_entry(self, entry, producer=None):
        flask_app = getattr(self.app, "flask_app", None)
        if flask_app is not None:
            try:
                with flask_app.app_context():
                    claimed = claim_tick(entry.name, tick_of(entry.schedule, utcnow()))
            except SQLAlchemyError:  # no database: the task could not run anyway; the next tick tries again
                log.exception("beat: could not claim the tick of %s", entry.name)
                return
            if not claimed:
                log.info("beat: %s was already sent for this tick by another beat", entry.name)
                return
        super().apply_entry(entry, producer=producer)
