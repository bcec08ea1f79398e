"""Every periodic task in one place (times are Asia/Shanghai, Celery's configured timezone)."""

from celery.schedules import crontab

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
    "purge-old-uploads": {
        "task": "core.purge_old_uploads",
        "schedule": crontab(minute=17, hour=3),
    },
}
