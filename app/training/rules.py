"""When training may happen: the order rules of a session, in one place.

Attendance for a meeting opens with its check-in window (30 minutes before it starts); a
session is completed only after its last meeting has ended; a cancelled or completed session
is finished and no longer changes (a completed one can be reopened by its coordinator).
"""

from datetime import datetime, timedelta

from flask_babel import gettext as _

from app.core.services import ServiceError
from app.training.models import Meeting, SessionStatus, TrainingSession

CHECKIN_EARLY = timedelta(minutes=30)  # a code works from 30 minutes before a meeting...
CHECKIN_LATE = timedelta(minutes=30)  # ...until 30 minutes after it ends
LATE_AFTER = timedelta(minutes=15)  # checking in later than this after the start counts as late

FINISHED = (SessionStatus.cancelled, SessionStatus.completed)


def is_finished(session: TrainingSession) -> bool:
    return session.status in FINISHED


def ensure_not_finished(session: TrainingSession) -> None:
    """A cancelled or completed session no longer changes (reopen a completed one first)."""
    if is_finished(session):
        raise ServiceError(_("This session is %(status)s and can no longer change.", status=session.status.label))


def attendance_opens_at(meeting: Meeting) -> datetime:
    return meeting.starts_at - CHECKIN_EARLY


def attendance_open(meeting: Meeting, now: datetime) -> bool:
    return now >= attendance_opens_at(meeting)


def in_checkin_window(meeting: Meeting, now: datetime) -> bool:
    """Self check-in by code: from 30 minutes before the start until 30 minutes after the end."""
    return attendance_opens_at(meeting) <= now <= meeting.ends_at + CHECKIN_LATE


def last_meeting_end(session: TrainingSession) -> datetime | None:
    return max((m.ends_at for m in session.meetings), default=None)


def can_complete(session: TrainingSession, now: datetime) -> bool:
    last = last_meeting_end(session)
    return not is_finished(session) and last is not None and last <= now


def started_meetings(session: TrainingSession, now: datetime) -> list[Meeting]:
    """Meetings that have already started: a new session with some is worth a second look."""
    return [m for m in session.meetings if m.starts_at < now]
