"""The Celery entry point: `celery -A worker.celery_app worker` / `... beat`."""

from app import create_app
from worker.schedule import BEAT_SCHEDULE

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
celery_app.conf.beat_schedule = BEAT_SCHEDULE
