"""The calendar page's maths: which days a month or week view shows, where ‹ and › lead, and
the meetings in scope on each day (Beijing dates)."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from app.core.timeutil import add_months, to_local
from app.training.hours import local_range
from app.training.models import Meeting
from app.training.queries import meetings_between

WEEK, MONTH = "week", "month"


@dataclass
class CalendarView:
    view: str
    anchor: date
    days: list[date]
    prev: date
    next: date
    by_day: dict[date, list[Meeting]] = field(default_factory=dict)


def week_view(anchor: date) -> CalendarView:
    """Monday to Sunday of the anchor's week."""
    first = anchor - timedelta(days=anchor.weekday())
    days = [first + timedelta(days=i) for i in range(7)]
    return CalendarView(WEEK, anchor, days, first - timedelta(days=7), first + timedelta(days=7))


def month_view(anchor: date) -> CalendarView:
    """Six full weeks from the Monday on or before the month's first day."""
    month_first = anchor.replace(day=1)
    first = month_first - timedelta(days=month_first.weekday())
    days = [first + timedelta(days=i) for i in range(42)]
    return CalendarView(MONTH, anchor, days, add_months(month_first, -1), add_months(month_first, 1))


def calendar_view(user, view: str, anchor: date) -> CalendarView:
    """The days of the view, each with the meetings of the user's sessions that start on it."""
    page = week_view(anchor) if view == WEEK else month_view(anchor)
    start, end = local_range(page.days[0], page.days[-1])
    for meeting in meetings_between(user, start, end):
        page.by_day.setdefault(to_local(meeting.starts_at).date(), []).append(meeting)
    return page
