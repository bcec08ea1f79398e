"""A worker's training as an iCalendar feed (RFC 5545) for calendar apps: one event per meeting
of the sessions they have a seat in. Times are written in UTC; calendar apps are told to show
them in Beijing time (Asia/Shanghai)."""

from datetime import UTC, datetime

from icalendar import Calendar, Event

from app.core.timeutil import LOCAL_TZ
from app.training.models import Enrolment

PRODID = "-//socialwork talent plan//training//ZH"


def meeting_events(enrolment: Enrolment, stamp: datetime) -> list[Event]:
    session = enrolment.session
    events = []
    for meeting in session.meetings:
        event = Event()
        event.add("uid", f"meeting-{meeting.id}@socialwork")
        event.add("dtstamp", stamp)
        event.add("dtstart", meeting.starts_at.astimezone(UTC))
        event.add("dtend", meeting.ends_at.astimezone(UTC))
        event.add("summary", f"{session.course.title} · {session.name}")
        event.add("location", session.venue)
        events.append(event)
    return events


def training_feed(enrolments: list[Enrolment], now: datetime) -> bytes:
    """The feed of these enrolments' meetings, stamped `now`."""
    feed = Calendar()
    feed.add("version", "2.0")
    feed.add("prodid", PRODID)
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-timezone", str(LOCAL_TZ))
    stamp = now.astimezone(UTC).replace(microsecond=0)
    for enrolment in enrolments:
        for event in meeting_events(enrolment, stamp):
            feed.add_component(event)
    return feed.to_ical()
