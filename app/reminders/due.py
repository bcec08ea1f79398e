"""The due-reminders scan: what is due now, worked out from offsets to each event, so a moved
session moves its reminders (its start is part of the notice's key) and a cancelled one has
none. Set-based: one statement per kind, whatever the number of workers.

Each domain finds its own due items (training/due_reminders.py, exams/…, allowance/…); the
factory registers those finders here, so this module imports none of the domains above it.
How many days before its event a reminder is due is a row (app/reminders/offsets.py); the scan
writes those days into the reminder's params, so its text says what was true when it was sent.
"""

from collections.abc import Callable
from datetime import date, datetime

from app.core.timeutil import local_today, utcnow
from app.reminders import offsets

Item = tuple[int, str, str, str, dict]  # (user id, kind, target, occurrence, params)
Finder = Callable[[datetime, date], list[Item]]

FINDERS: list[Finder] = []


def register_finder(finder: Finder) -> None:
    if finder not in FINDERS:
        FINDERS.append(finder)


def due_items() -> list[Item]:
    now, today = utcnow(), local_today()
    days = offsets.all_days()
    return [_with_days(item, days) for finder in FINDERS for item in finder(now, today)]


def _with_days(item: Item, days: dict[str, int]) -> Item:
    user_id, kind, target, occurrence, params = item
    if kind not in days:
        return item
    return user_id, kind, target, occurrence, {**params, "days": days[kind]}
