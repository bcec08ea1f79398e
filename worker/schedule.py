"""Every periodic task in one place (times are Asia/Shanghai, Celery's configured timezone)."""

from datetime import timedelta

from celery.schedules import crontab

from config import Config

BEAT_SCHEDULE = {
    "reminders-due": {
        # what is due is worked out from offsets to each event, so a moved session moves its reminders
        "task": "reminders.scan_due",
        "schedule": crontab(minute="*/5"),
    },
    "reminders-send": {
        "task": "reminders.send_pending",
        "schedule": crontab(minute="*"),
    },
    "allowance-previous-month": {
        # the draft of the month just ended, on the 1st at 02:00; a submitted month is left alone
        "task": "allowance.compute_previous_month",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
    "backup-nightly": {
        # the whole database into BACKUP_DIR on the worker's host, keeping BACKUP_KEEP (app/core/backup.py)
        "task": "core.backup_database",
        "schedule": crontab(minute=30, hour=1),
    },
    "reaper": {
        # queues again the allowance parts and import jobs whose message or worker was lost (app/core/reaper.py)
        "task": "core.reap",
        "schedule": timedelta(seconds=Config.REAPER_EVERY_SECONDS),
    },
    "purge-old-uploads": {
        "task": "core.purge_old_uploads",
        "schedule": crontab(minute=17, hour=3),
    },
}
