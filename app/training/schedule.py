"""Writes for sessions and their meetings: create, reschedule, change status; participants are
told when a session moves or is cancelled."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import User
from app.core.services import ServiceError
from app.core.timeutil import to_local
from app.extensions import db
from app.reminders import notices
from app.training import seats
from app.training.models import Course, Enrolment, EnrolmentState, Meeting, SessionStatus, TrainingSession
from app.training.rules import ensure_not_finished


@dataclass
class SessionData:
    name: str
    venue: str
    capacity: int
    district_id: int | None
    enrol_opens: datetime
    enrol_closes: datetime
    meetings: list[tuple[datetime, datetime]]  # timezone-aware


def _check_meetings(meetings: list[tuple[datetime, datetime]]) -> None:
    if not meetings:
        raise ServiceError(_("A session has at least one meeting."), "meetings")
    for start, end in meetings:
        if end <= start:
            raise ServiceError(
                _("A meeting cannot end before it starts (%(when)s).", when=f"{to_local(start):%Y-%m-%d %H:%M}"),
                "meetings",
            )


def _check_session(data: SessionData, allowed: set[int] | None) -> None:
    if not (data.name or "").strip():
        raise ServiceError(_("The session needs a name."), "name")
    if not (data.venue or "").strip():
        raise ServiceError(_("The venue is required."), "venue")
    if data.capacity is None or data.capacity < 0:
        raise ServiceError(_("The capacity cannot be negative."), "capacity")
    if allowed is not None and data.district_id not in allowed:
        raise ServiceError(_("Choose a district within your scope."), "district_id")
    _check_meetings(data.meetings)
    if data.enrol_closes <= data.enrol_opens:
        raise ServiceError(_("Enrolment cannot close before it opens."), "enrol_closes")
    last_end = max(end for _start, end in data.meetings)
    if data.enrol_closes > last_end:
        raise ServiceError(_("Enrolment cannot close after the session has ended."), "enrol_closes")


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def create_session(course: Course, data: SessionData, allowed: set[int] | None) -> TrainingSession:
    _check_session(data, allowed)
    session = TrainingSession(
        course_id=course.id,
        name=data.name.strip()[:80],
        venue=data.venue.strip()[:120],
        capacity=data.capacity,
        district_id=data.district_id,
        enrol_opens=data.enrol_opens,
        enrol_closes=data.enrol_closes,
        status=SessionStatus.planned,
    )
    session.meetings = [Meeting(starts_at=s, ends_at=e, checkin_code=_new_code()) for s, e in sorted(data.meetings)]
    db.session.add(session)
    db.session.flush()
    return session


def update_session(session: TrainingSession, data: SessionData, allowed: set[int] | None) -> TrainingSession:
    ensure_not_finished(session)
    _check_session(data, allowed)
    before = _schedule(session)
    session.name, session.venue = data.name.strip()[:80], data.venue.strip()[:120]
    session.district_id, session.enrol_opens, session.enrol_closes = (
        data.district_id,
        data.enrol_opens,
        data.enrol_closes,
    )
    _set_meetings(session, sorted(data.meetings))
    db.session.flush()
    seats.fill_seats(session, data.capacity)
    after = _schedule(session)
    if after != before:
        when = "; ".join(
            f"{to_local(m.starts_at):%Y-%m-%d %H:%M}–{to_local(m.ends_at):%H:%M}" for m in session.meetings
        )
        _notify_participants(session, "session_moved", hashlib.sha256(after.encode()).hexdigest()[:16], when=when)
    return session


def _set_meetings(session: TrainingSession, wanted: list[tuple[datetime, datetime]]) -> None:
    """Move the existing meetings (their codes and attendance stay), drop extra ones, add new ones."""
    existing = list(session.meetings)
    for meeting, (start, end) in zip(existing, wanted, strict=False):
        meeting.starts_at, meeting.ends_at = start, end
    for meeting in existing[len(wanted) :]:
        session.meetings.remove(meeting)
    for start, end in wanted[len(existing) :]:
        session.meetings.append(Meeting(starts_at=start, ends_at=end, checkin_code=_new_code()))


def _schedule(session: TrainingSession) -> str:
    return "|".join(
        f"{m.starts_at.isoformat()}/{m.ends_at.isoformat()}"
        for m in sorted(session.meetings, key=lambda m: m.starts_at)
    )


def set_status(session: TrainingSession, status: SessionStatus) -> TrainingSession:
    ensure_not_finished(session)
    if status == SessionStatus.completed:
        raise ServiceError(_("Complete a session with the Complete button."))
    session.status = status
    db.session.flush()
    if status == SessionStatus.cancelled:
        _notify_participants(session, "session_cancelled", "cancelled")
    return session


def _notify_participants(session: TrainingSession, kind: str, occurrence: str, **params) -> None:
    worker_ids = sa.select(Enrolment.worker_id).where(
        Enrolment.session_id == session.id, Enrolment.state != EnrolmentState.cancelled
    )
    users = list(db.session.scalars(sa.select(User.id).where(User.worker_id.in_(worker_ids))))
    notices.notify(
        users,
        kind,
        f"session:{session.id}",
        occurrence,
        {"course": session.course.title, "session": session.name, **params},
    )
