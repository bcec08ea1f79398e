"""The Celery entry point: `celery -A worker.celery_app worker` / `... beat`."""

from app import create_app
from app.core.schedule import beat_schedule

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
# every periodic task: app/core/schedule.py, the table the system page lists
celery_app.conf.beat_schedule = beat_schedule(flask_app.config["REAPER_EVERY_SECONDS"])
