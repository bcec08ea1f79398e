"""Every periodic task in one place: beat sends them (worker/celery_app.py reads `beat_schedule`)
and the admin's system page lists them (`describe`, `next_due`). Times are Asia/Shanghai,
Celery's configured timezone. Tasks are named, not imported: core knows no domain.
"""

from datetime import datetime, timedelta

from celery.schedules import crontab
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext


def beat_schedule(reaper_every_seconds: int) -> dict[str, dict]:
    """celery beat's table; the reaper's period is REAPER_EVERY_SECONDS."""
    return {
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
            "schedule": timedelta(seconds=reaper_every_seconds),
        },
        "purge-old-uploads": {
            "task": "core.purge_old_uploads",
            "schedule": crontab(minute=17, hour=3),
        },
    }


def _fixed(value: str) -> bool:
    return value.isdigit()


def _crontab_words(entry: crontab) -> str:
    minute, hour = str(entry._orig_minute), str(entry._orig_hour)
    day, month, weekday = str(entry._orig_day_of_month), str(entry._orig_month_of_year), str(entry._orig_day_of_week)
    if (hour, day, month, weekday) == ("*", "*", "*", "*"):
        if minute == "*":
            return str(_l("Every minute"))
        if minute.startswith("*/") and minute[2:].isdigit():
            n = int(minute[2:])
            return ngettext("Every %(num)d minute", "Every %(num)d minutes", n)
    if _fixed(minute) and _fixed(hour) and (month, weekday) == ("*", "*"):
        at = f"{int(hour):02d}:{int(minute):02d}"
        if day == "*":
            return str(_l("Every day at %(time)s", time=at))
        if _fixed(day):
            return str(_l("On day %(day)s of every month at %(time)s", day=day, time=at))
    return str(_l("Cron: %(expression)s", expression=f"{minute} {hour} {day} {month} {weekday}"))


def describe(schedule) -> str:
    """The schedule in words, for the page (a crontab or an interval)."""
    if isinstance(schedule, crontab):
        return _crontab_words(schedule)
    seconds = int(schedule.total_seconds() if isinstance(schedule, timedelta) else schedule.run_every.total_seconds())
    return ngettext("Every %(num)d second", "Every %(num)d seconds", seconds)


def next_due(schedule, last_sent: datetime | None, now: datetime, app) -> datetime:
    """When beat sends the entry next: after `last_sent` (None: never sent, so after now). In the
    past when beat has not sent it on time (beat not running)."""
    if isinstance(schedule, timedelta):
        return (last_sent + schedule) if last_sent is not None else now
    bound = crontab(
        minute=schedule._orig_minute,
        hour=schedule._orig_hour,
        day_of_week=schedule._orig_day_of_week,
        day_of_month=schedule._orig_day_of_month,
        month_of_year=schedule._orig_month_of_year,
        app=app,
        nowfun=lambda: now.astimezone(app.timezone),
    )
    return now + bound.remaining_estimate((last_sent or now).astimezone(app.timezone))
