"""Celery tasks of the shared kit. Thin: they take ids and call the services."""

from celery import shared_task

from app.core import importing


@shared_task(name="core.apply_import", acks_late=True)
def apply_import(job_id: int) -> str:
    job = importing.run_import_job(job_id)
    return job.state.value if job else "missing"


@shared_task(name="core.purge_old_uploads")
def purge_old_uploads() -> int:
    return importing.purge_old_uploads()
