"""Celery tasks for the allowance: thin, they take ids and call the services.

A run's parts are the record of what must be done: `queue_compute` writes when each was queued,
the task records when a worker took it and holds its row locked while computing, and the
reaper (app/core/reaper.py, through `requeue_stalled_parts`) sends again the parts whose
message or worker was lost."""

import logging

import sqlalchemy as sa
from celery import group, shared_task
from kombu.exceptions import OperationalError as BrokerUnavailable
from sqlalchemy.exc import OperationalError

from app.allowance import compute, services
from app.allowance.models import AllowanceRun, AllowanceRunPart, RunState
from app.allowance.rules import Month
from app.core import reaper
from app.core.services import ServiceError
from app.core.timeutil import local_today, utcnow
from app.extensions import db

log = logging.getLogger(__name__)


def _locked_part(run_id: int, district_id: int | None) -> AllowanceRunPart | None:
    """The part, its row locked until the next commit; None when another worker holds it (on
    PostgreSQL): a second copy of its message then leaves it to that worker, and if that worker
    dies the reaper sends the part again."""
    same_district = (
        AllowanceRunPart.district_id.is_(None) if district_id is None else AllowanceRunPart.district_id == district_id
    )
    return db.session.scalar(
        sa.select(AllowanceRunPart)
        .where(AllowanceRunPart.run_id == run_id, same_district)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


@shared_task(
    name="allowance.compute_part",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def compute_part(run_id: int, district_id: int | None) -> int:
    part = _locked_part(run_id, district_id)
    if part is None or part.done:
        db.session.commit()
        return 0
    part.claimed_at, part.attempts = utcnow(), part.attempts + 1
    db.session.commit()
    part = _locked_part(run_id, district_id)  # held while computing: the reaper sees a live worker
    if part is None or part.done:
        db.session.commit()
        return 0
    count = compute.compute_part(run_id, district_id)
    db.session.commit()
    services.finish_if_complete(run_id)
    db.session.commit()
    return count


def part_task_id(run_id: int, district_id: int | None) -> str:
    """The id of every message of one part, so the reaper can tell whether Redis still holds it."""
    return reaper.task_id(compute_part.name, run_id, district_id)


def queue_compute(run_id: int, districts: list[int | None]) -> bool:
    """Send one task per district as a group, so several worker machines share the month.
    The parts are recorded as queued first; False when the broker does not answer: the run
    stays recorded as computing and the reaper sends its parts once the broker is back."""
    db.session.execute(
        sa.update(AllowanceRunPart).where(AllowanceRunPart.run_id == run_id).values(queued_at=utcnow(), attempts=0)
    )
    db.session.commit()
    try:
        group(compute_part.si(run_id, d).set(task_id=part_task_id(run_id, d)) for d in districts).apply_async()
    except BrokerUnavailable:
        log.warning("allowance run %s: the broker is unavailable; the reaper will queue its parts", run_id)
        return False
    return True


def requeue_stalled_parts() -> int:
    """The reaper's share of the allowance (registered by app/factory.py): the parts of drafts
    being computed whose message or worker was lost are sent again; a run whose parts are all
    done but that was never marked computed (its last worker died in between) is finished."""
    computing = (
        sa.select(AllowanceRunPart)
        .join(AllowanceRun)
        .where(
            AllowanceRun.state == RunState.draft,
            AllowanceRun.compute_started_at.is_not(None),
            AllowanceRun.computed_at.is_(None),
            AllowanceRunPart.done.is_(False),
        )
    )
    again, _given_up = reaper.take_stalled(
        computing, AllowanceRunPart, compute_part.name, key_of=lambda p: (p.run_id, p.district_id)
    )
    parts = [(p.run_id, p.district_id) for p in again]
    db.session.commit()
    for run_id, district_id in parts:
        compute_part.apply_async((run_id, district_id), task_id=part_task_id(run_id, district_id))
    unfinished = db.session.scalars(
        sa.select(AllowanceRun.id).where(
            AllowanceRun.state == RunState.draft,
            AllowanceRun.compute_started_at.is_not(None),
            AllowanceRun.computed_at.is_(None),
            ~AllowanceRun.parts.any(AllowanceRunPart.done.is_(False)),
        )
    ).all()
    for run_id in unfinished:
        services.finish_if_complete(run_id)
        db.session.commit()
    return len(parts)


@shared_task(name="allowance.compute_previous_month")
def compute_previous_month() -> str:
    """Beat, on the 1st at 02:00: the draft of the month just ended, unless it is already submitted."""
    month = Month(local_today().replace(day=1)).shift(-1)
    run = db.session.query(AllowanceRun).filter_by(month=month.first).one_or_none()
    if run is not None and run.state != RunState.draft:
        return f"{month}: {run.state.value}, left alone"
    try:
        run, districts = services.start_compute(month, None)
    except ServiceError as exc:  # e.g. nobody had a post yet
        db.session.rollback()
        return f"{month}: {exc.message}"
    db.session.commit()
    if not queue_compute(run.id, districts):
        return f"{month}: computing, queued by the reaper once the broker is back"
    return f"{month}: computing"
