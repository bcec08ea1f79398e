"""Celery tasks for the allowance: thin, they take ids and call the services."""

from celery import group, shared_task
from sqlalchemy.exc import OperationalError

from app.allowance import compute, services
from app.allowance.models import AllowanceRun, RunState
from app.allowance.rules import Month
from app.core.services import ServiceError
from app.core.timeutil import local_today
from app.extensions import db


@shared_task(
    name="allowance.compute_part", acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5
)
def compute_part(run_id: int, district_id: int | None) -> int:
    count = compute.compute_part(run_id, district_id)
    db.session.commit()
    services.finish_if_complete(run_id)
    db.session.commit()
    return count


def queue_compute(run_id: int, districts: list[int | None]) -> None:
    """Send one task per district as a group, so several worker machines share the month."""
    group(compute_part.si(run_id, d) for d in districts).apply_async()


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
    queue_compute(run.id, districts)
    return f"{month}: computing"
