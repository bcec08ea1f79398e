"""Celery tasks of the shared kit. Thin: they take ids and call the services.

Queues, routes and time limits: config.py (CELERY). A task marked acks_late and
reject_on_worker_lost is safe to run twice: its message is acknowledged only once it has run,
and put back when its worker dies."""

import logging

import sqlalchemy as sa
from celery import shared_task
from flask_babel import gettext as _
from kombu.exceptions import OperationalError as BrokerUnavailable

from app.core import importing, reaper
from app.core.importing import ImportJob, JobState
from app.core.timeutil import utcnow
from app.extensions import db

log = logging.getLogger(__name__)


@shared_task(name="core.apply_import", acks_late=True, reject_on_worker_lost=True)
def apply_import(job_id: int) -> str:
    job = importing.run_import_job(job_id)
    return job.state.value if job else "missing"


def job_task_id(job_id: int) -> str:
    """The id of every message of one import job, so the reaper can tell whether Redis still holds it."""
    return reaper.task_id(apply_import.name, job_id)


def queue_import(job_id: int) -> bool:
    """Send the (committed, queued) job to its worker. False when the broker does not answer:
    the job stays queued in the database and the reaper sends it once the broker is back."""
    try:
        apply_import.apply_async((job_id,), task_id=job_task_id(job_id))
    except BrokerUnavailable:
        log.warning("import job %s: the broker is unavailable; the reaper will queue it", job_id)
        return False
    return True


@shared_task(name="core.purge_old_uploads")
def purge_old_uploads() -> int:
    return importing.purge_old_uploads()


@shared_task(name="core.reap")
def reap() -> dict[str, int]:
    return reaper.reap()


def requeue_imports() -> int:
    """Import jobs queued or running whose message or worker was lost: sent again; one that used
    up its attempts is failed, so its page stops waiting and says why."""
    unfinished = sa.select(ImportJob).where(ImportJob.state.in_([JobState.queued, JobState.running]))
    again, given_up = reaper.take_stalled(unfinished, ImportJob, apply_import.name, key_of=lambda job: (job.id,))
    for job in given_up:
        job.state, job.finished_at = JobState.failed, utcnow()
        job.errors = [_("The import stopped before it finished, several times; please upload the file again.")]
    ids = [job.id for job in again]
    db.session.commit()
    for job_id in ids:
        apply_import.apply_async((job_id,), task_id=job_task_id(job_id))
    return len(ids)


reaper.register(requeue_imports)
