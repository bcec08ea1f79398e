"""beat's table, as worker/celery_app.py gives it to beat: defined in app/core/schedule.py (one
place, which the admin's system page reads too), with this deployment's reaper period."""

from app.core.schedule import beat_schedule
from config import Config

BEAT_SCHEDULE = beat_schedule(Config.REAPER_EVERY_SECONDS)
