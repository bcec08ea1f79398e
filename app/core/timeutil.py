"""Instants are stored as timezone-aware UTC and shown in Asia/Shanghai."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive values; they were stored as UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), the month's last day where it has fewer."""
    return day + relativedelta(months=months)
