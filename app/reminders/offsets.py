"""How many days before its event each reminder is due: rows an administrator changes
(ReminderOffset), read by the domains' finders. A kind without a row has its default, which is
also what a notice created before the rows existed was sent under."""

import sqlalchemy as sa

from app.extensions import db
from app.reminders.models import NoticeKind, ReminderOffset

FEWEST_DAYS, MOST_DAYS = 1, 365

DEFAULTS: dict[str, int] = {
    NoticeKind.session_in_3_days.value: 3,
    NoticeKind.session_in_1_day.value: 1,
    NoticeKind.registration_expiring_90.value: 90,
    NoticeKind.registration_expiring_30.value: 30,
}

# (earlier reminder, later reminder) about the same event: the earlier one comes more days before.
PAIRS: list[tuple[str, str]] = [
    (NoticeKind.session_in_3_days.value, NoticeKind.session_in_1_day.value),
    (NoticeKind.registration_expiring_90.value, NoticeKind.registration_expiring_30.value),
]


def days_before(kind: NoticeKind | str) -> int:
    """The days before its event that a reminder of this kind is due."""
    key = kind.value if isinstance(kind, NoticeKind) else kind
    days = db.session.scalar(sa.select(ReminderOffset.days).where(ReminderOffset.kind == key))
    return DEFAULTS[key] if days is None else days


def all_days() -> dict[str, int]:
    """Every reminder kind's days before (the admin page's table), in DEFAULTS' order."""
    rows = dict(db.session.execute(sa.select(ReminderOffset.kind, ReminderOffset.days)).all())
    return {kind: rows.get(kind, default) for kind, default in DEFAULTS.items()}


def days_of(kind: str, params: dict) -> int:
    """The days a notice of this kind was due before its event: recorded in its params by the
    scan, or the default for a notice created before the offsets were rows."""
    return int(params.get("days") or DEFAULTS[kind])
