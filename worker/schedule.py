"""Every periodic task in one place (times are Asia/Shanghai, Celery's configured timezone)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "purge-old-uploads": {
        "task": "core.purge_old_uploads",
        "schedule": crontab(minute=17, hour=3),
    },
}
