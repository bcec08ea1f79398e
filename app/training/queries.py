"""Reads for training, scoped: sessions in a coordinator's districts, a worker's own training.

Two scopes apply to a session. Who may see it: staff see city-wide sessions and those of their
districts. Who is shown on it: a district coordinator sees only the participants who work in
their districts (names, mobiles, attendance) and only totals for the others, on every session,
city-wide ones included. Managing a session (editing, enrolling, marking, completing, its codes
and QR) belongs to its district's coordinators, and city-wide sessions to city-wide staff.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.core.access import Role, district_scope
from app.core.services import NotPermitted, RecordNotFound
from app.core.timeutil import utcnow
from app.extensions import db
from app.training import rules
from app.training.hours import completed_hours as completed_hours  # re-exported: the factory hands both to exams
from app.training.hours import completed_hours_by_registration as completed_hours_by_registration
from app.training.models import (
    Attendance,
    Course,
    Enrolment,
    EnrolmentState,
    Mark,
    Meeting,
    SessionStatus,
    TrainingSession,
)
from app.workers.models import Worker


def scoped_sessions(user) -> sa.Select:
    """Staff see city-wide sessions and those of their districts; a worker, city-wide ones and
    those of the district they work in."""
    query = sa.select(TrainingSession)
    if user.role == Role.worker:
        district = db.session.scalar(sa.select(Worker.district_id).where(Worker.id == (user.worker_id or 0)))
        return query.where(sa.or_(TrainingSession.district_id.is_(None), TrainingSession.district_id == district))
    scope = district_scope(user)
    if scope is not None:
        query = query.where(
            sa.or_(TrainingSession.district_id.is_(None), TrainingSession.district_id.in_(scope or [0]))
        )
    return query


def editable(user, session: TrainingSession) -> bool:
    """City-wide sessions are managed city-wide; district sessions by that district's coordinators."""
    if user.role not in (Role.coordinator, Role.admin):
        return False
    scope = district_scope(user)
    return scope is None or (session.district_id is not None and session.district_id in scope)


def course_editable(user, course: Course) -> bool:
    """City-wide staff edit every course; a district coordinator only the courses they created."""
    if user.role not in (Role.coordinator, Role.admin):
        return False
    return district_scope(user) is None or (course.created_by_id is not None and course.created_by_id == user.id)


def visible_participants(user, query: sa.Select, worker_id) -> sa.Select:
    """Keep the rows of participants the user may see: those working in the user's districts."""
    scope = district_scope(user)
    if scope is None:
        return query
    return query.where(worker_id.in_(sa.select(Worker.id).where(Worker.district_id.in_(scope or [0]))))


def get_session(user, session_id: int) -> TrainingSession:
    """A session the user may see; RecordNotFound otherwise."""
    session = db.session.scalar(scoped_sessions(user).where(TrainingSession.id == session_id))
    if session is None:
        raise RecordNotFound(session_id)
    return session


def get_editable_session(user, session_id: int) -> TrainingSession:
    """A session the user manages; NotPermitted for one they only see."""
    session = get_session(user, session_id)
    if not editable(user, session):
        raise NotPermitted(session_id)
    return session


def session_list(user, current_only: bool, limit: int = 300) -> list[TrainingSession]:
    """The sessions in the user's scope, newest first; current ones only: not finished."""
    query = scoped_sessions(user)
    if current_only:
        query = query.where(TrainingSession.status.not_in(rules.FINISHED))
    return list(db.session.scalars(query.order_by(TrainingSession.id.desc()).limit(limit)))


def all_courses() -> list[Course]:
    return list(db.session.scalars(sa.select(Course).order_by(Course.title)))


def get_course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        raise RecordNotFound(course_id)
    return course


def meetings_between(user, start: datetime, end: datetime) -> list[Meeting]:
    ids = scoped_sessions(user).with_only_columns(TrainingSession.id).order_by(None).subquery()
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.session_id.in_(sa.select(ids.c.id)), Meeting.starts_at < end, Meeting.ends_at > start)
            .order_by(Meeting.starts_at)
        )
    )


@dataclass
class Seats:
    enrolled: int
    waitlisted: int


def seats(session_id: int) -> Seats:
    enrolled, waitlisted = db.session.execute(
        sa.select(
            sa.func.count().filter(Enrolment.state == EnrolmentState.enrolled),
            sa.func.count().filter(Enrolment.state == EnrolmentState.waitlisted),
        ).where(Enrolment.session_id == session_id)
    ).one()
    return Seats(int(enrolled or 0), int(waitlisted or 0))


def roster(user, session_id: int, state: EnrolmentState = EnrolmentState.enrolled) -> list[Enrolment]:
    """The participants of a session the user may see, in arrival order."""
    query = (
        sa.select(Enrolment)
        .where(Enrolment.session_id == session_id, Enrolment.state == state)
        .order_by(Enrolment.position)
    )
    return list(db.session.scalars(visible_participants(user, query, Enrolment.worker_id)))


def marks(user, meeting_ids: list[int]) -> dict[tuple[int, int], Mark]:
    """Attendance marks of the participants the user may see."""
    if not meeting_ids:
        return {}
    query = sa.select(Attendance.meeting_id, Attendance.worker_id, Attendance.mark).where(
        Attendance.meeting_id.in_(meeting_ids)
    )
    return {
        (a.meeting_id, a.worker_id): a.mark
        for a in db.session.execute(visible_participants(user, query, Attendance.worker_id))
    }


def participant(user, session_id: int, worker_id: int) -> Enrolment | None:
    """One participant's enrolment, if the user may see them."""
    query = sa.select(Enrolment).where(Enrolment.session_id == session_id, Enrolment.worker_id == worker_id)
    return db.session.scalar(visible_participants(user, query, Enrolment.worker_id))


def get_enrolment(user, enrolment_id: int) -> Enrolment:
    """A worker's own enrolment; for staff, one they may manage (the session and the participant)."""
    query = sa.select(Enrolment).where(Enrolment.id == enrolment_id)
    if user.role == Role.worker:
        enrolment = db.session.scalar(query.where(Enrolment.worker_id == (user.worker_id or 0)))
    else:
        enrolment = db.session.scalar(visible_participants(user, query, Enrolment.worker_id))
        if enrolment is not None and not editable(user, get_session(user, enrolment.session_id)):
            enrolment = None
    if enrolment is None:
        raise RecordNotFound(enrolment_id)
    return enrolment


def checkin_codes(user, session: TrainingSession) -> dict[int, str]:
    """Meeting id → check-in code, for those who manage the session only (a code checks people in)."""
    return {m.id: m.checkin_code for m in session.meetings} if editable(user, session) else {}


def get_meeting(user, meeting_id: int, session_id: int | None = None) -> Meeting:
    """A meeting of a session the user manages (its roster, marks, code and QR)."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or (session_id is not None and meeting.session_id != session_id):
        raise RecordNotFound(meeting_id)
    get_editable_session(user, meeting.session_id)
    return meeting


def upcoming_sessions(user, limit: int = 5) -> list[tuple[TrainingSession, datetime]]:
    """The next sessions in scope that have a meeting still to come, soonest first."""
    nxt = (
        sa.select(Meeting.session_id, sa.func.min(Meeting.starts_at).label("starts"))
        .where(Meeting.starts_at > utcnow())
        .group_by(Meeting.session_id)
        .subquery()
    )
    ids = scoped_sessions(user).with_only_columns(TrainingSession.id).order_by(None).subquery()
    return list(
        db.session.execute(
            sa.select(TrainingSession, nxt.c.starts)
            .join(nxt, nxt.c.session_id == TrainingSession.id)
            .where(TrainingSession.id.in_(sa.select(ids.c.id)), TrainingSession.status != SessionStatus.cancelled)
            .order_by(nxt.c.starts)
            .limit(limit)
        ).tuples()
    )


def course_sessions(user, course_id: int) -> list[TrainingSession]:
    """The sessions of a course that the user may see, newest first."""
    return list(
        db.session.scalars(
            scoped_sessions(user).where(TrainingSession.course_id == course_id).order_by(TrainingSession.id.desc())
        )
    )
