"""Reads for training, scoped: sessions in a coordinator's districts, a worker's own training.

Two scopes apply to a session. Who may see it: staff see city-wide sessions and those of their
districts. Who is shown on it: a district coordinator sees only the participants who work in
their districts (names, mobiles, attendance) and only totals for the others, on every session,
city-wide ones included. Managing a session (editing, enrolling, marking, completing, its codes
and QR) belongs to its district's coordinators, and city-wide sessions to city-wide staff.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import aliased

from app.core.access import Role, district_scope
from app.core.timeutil import LOCAL_TZ, local_today, utcnow
from app.exams.models import Qualification
from app.extensions import db
from app.training import rules
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
from app.workers.models import PostType, Worker
from app.workers.queries import scoped_workers


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


def _participants(user, query: sa.Select, worker_id) -> sa.Select:
    """Keep the rows of participants the user may see: those working in the user's districts."""
    scope = district_scope(user)
    if scope is None:
        return query
    return query.where(worker_id.in_(sa.select(Worker.id).where(Worker.district_id.in_(scope or [0]))))


def get_session_or_404(user, session_id: int) -> TrainingSession:
    session = db.session.scalar(scoped_sessions(user).where(TrainingSession.id == session_id))
    if session is None:
        abort(404)
    return session


def local_range(day_from: date, day_to: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(day_from, time(), LOCAL_TZ),
        datetime.combine(day_to + timedelta(days=1), time(), LOCAL_TZ),
    )


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
    return list(db.session.scalars(_participants(user, query, Enrolment.worker_id)))


def marks(user, meeting_ids: list[int]) -> dict[tuple[int, int], Mark]:
    """Attendance marks of the participants the user may see."""
    if not meeting_ids:
        return {}
    query = sa.select(Attendance.meeting_id, Attendance.worker_id, Attendance.mark).where(
        Attendance.meeting_id.in_(meeting_ids)
    )
    return {
        (a.meeting_id, a.worker_id): a.mark
        for a in db.session.execute(_participants(user, query, Attendance.worker_id))
    }


def participant(user, session_id: int, worker_id: int) -> Enrolment | None:
    """One participant's enrolment, if the user may see them."""
    query = sa.select(Enrolment).where(Enrolment.session_id == session_id, Enrolment.worker_id == worker_id)
    return db.session.scalar(_participants(user, query, Enrolment.worker_id))


def get_enrolment_or_404(user, enrolment_id: int) -> Enrolment:
    """A worker's own enrolment; for staff, one they may manage (the session and the participant)."""
    query = sa.select(Enrolment).where(Enrolment.id == enrolment_id)
    if user.role == Role.worker:
        enrolment = db.session.scalar(query.where(Enrolment.worker_id == (user.worker_id or 0)))
    else:
        enrolment = db.session.scalar(_participants(user, query, Enrolment.worker_id))
        if enrolment is not None and not editable(user, get_session_or_404(user, enrolment.session_id)):
            enrolment = None
    if enrolment is None:
        abort(404)
    return enrolment


def checkin_codes(user, session: TrainingSession) -> dict[int, str]:
    """Meeting id → check-in code, for those who manage the session only (a code checks people in)."""
    return {m.id: m.checkin_code for m in session.meetings} if editable(user, session) else {}


def get_meeting_or_404(user, meeting_id: int, session_id: int | None = None) -> Meeting:
    """A meeting of a session the user manages (its roster, marks, code and QR)."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or (session_id is not None and meeting.session_id != session_id):
        abort(404)
    session = get_session_or_404(user, meeting.session_id)
    if not editable(user, session):
        abort(403)
    return meeting


@dataclass
class BulkFilter:
    district_id: int | None = None
    street_id: int | None = None
    community_id: int | None = None
    post: PostType | None = None
    not_qualified: bool = False


def bulk_candidates(user, session: TrainingSession, f: BulkFilter) -> list[int]:
    """Ids of the workers in the user's scope, in post today, who match the filter, by name."""
    today = local_today()
    query = scoped_workers(user).where(Worker.in_post_on(today))
    if f.district_id:
        query = query.where(Worker.district_id == f.district_id)
    if f.street_id:
        query = query.where(Worker.street_id == f.street_id)
    if f.community_id:
        query = query.where(Worker.community_id == f.community_id)
    if f.post:
        query = query.where(Worker.post_type == f.post)
    if f.not_qualified and session.course.target_level is not None:
        query = query.where(
            ~Worker.id.in_(sa.select(Qualification.worker_id).where(Qualification.level == session.course.target_level))
        )
    return list(db.session.scalars(query.with_only_columns(Worker.id).order_by(Worker.name, Worker.id)))


def already_on(session_id: int, worker_ids: list[int]) -> int:
    """How many of these workers are on the session's list (enrolled or waiting) already."""
    if not worker_ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Enrolment.session_id == session_id,
            Enrolment.state != EnrolmentState.cancelled,
            Enrolment.worker_id.in_(worker_ids),
        )
    )


def venue_clashes(session: TrainingSession) -> list[tuple[Meeting, Meeting]]:
    """Meetings of other live sessions at the same venue that overlap this session's meetings."""
    other = aliased(Meeting)
    mine = [m.id for m in session.meetings]
    if not mine:
        return []
    rows = db.session.execute(
        sa.select(Meeting, other)
        .join(
            other, sa.and_(other.id != Meeting.id, other.starts_at < Meeting.ends_at, other.ends_at > Meeting.starts_at)
        )
        .join(TrainingSession, TrainingSession.id == other.session_id)
        .where(
            Meeting.id.in_(mine),
            other.session_id != session.id,
            TrainingSession.venue == session.venue,
            TrainingSession.status != SessionStatus.cancelled,
        )
    ).all()
    return [(a, b) for a, b in rows]


def worker_clashes(user, session: TrainingSession, limit: int = 50) -> list[tuple[str, Meeting, Meeting]]:
    """Enrolled workers (that the user may see) also enrolled in another session with an
    overlapping meeting."""
    other_m, other_e = aliased(Meeting), aliased(Enrolment)
    query = (
        sa.select(Worker.name, Meeting, other_m)
        .select_from(Enrolment)
        .join(Worker, Worker.id == Enrolment.worker_id)
        .join(Meeting, Meeting.session_id == Enrolment.session_id)
        .join(
            other_e,
            sa.and_(
                other_e.worker_id == Enrolment.worker_id,
                other_e.session_id != Enrolment.session_id,
                other_e.state == EnrolmentState.enrolled,
            ),
        )
        .join(
            other_m,
            sa.and_(
                other_m.session_id == other_e.session_id,
                other_m.starts_at < Meeting.ends_at,
                other_m.ends_at > Meeting.starts_at,
            ),
        )
        .where(Enrolment.session_id == session.id, Enrolment.state == EnrolmentState.enrolled)
        .limit(limit)
    )
    rows = db.session.execute(_participants(user, query, Enrolment.worker_id)).all()
    return [(name, a, b) for name, a, b in rows]


@dataclass
class MyTraining:
    upcoming: list[Enrolment]
    history: list[Enrolment]
    total_hours: Decimal


def my_training(worker_id: int) -> MyTraining:
    enrolments = list(
        db.session.scalars(
            sa.select(Enrolment)
            .join(TrainingSession)
            .where(Enrolment.worker_id == worker_id)
            .order_by(Enrolment.id.desc())
        )
    )
    now = utcnow()
    upcoming, history = [], []
    for e in enrolments:
        last = max((m.ends_at for m in e.session.meetings), default=now)
        live = not rules.is_finished(e.session)
        (upcoming if live and last >= now and e.state != EnrolmentState.cancelled else history).append(e)
    total = sum((e.hours_awarded for e in enrolments if e.completed), Decimal(0))
    return MyTraining(upcoming, history, total)


def completed_hours(worker_id: int, start: date, end: date) -> Decimal:
    """Credit hours of completed sessions whose last meeting falls in [start, end] (local dates)."""
    last = (
        sa.select(Meeting.session_id, sa.func.max(Meeting.ends_at).label("last"))
        .group_by(Meeting.session_id)
        .subquery()
    )
    lo, hi = local_range(start, end)
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Enrolment.hours_awarded), 0))
        .join(last, last.c.session_id == Enrolment.session_id)
        .where(Enrolment.worker_id == worker_id, Enrolment.completed.is_(True), last.c.last >= lo, last.c.last < hi)
    )
    return Decimal(total or 0)


def completed_hours_by_registration(registration_ids: list[int]) -> dict[int, Decimal]:
    """Training hours inside each registration's period, for many registrations in one statement."""
    from app.exams.models import Registration

    if not registration_ids:
        return {}
    last = (
        sa.select(Meeting.session_id, sa.func.max(Meeting.ends_at).label("last"))
        .group_by(Meeting.session_id)
        .subquery()
    )
    # a registration's dates are Beijing dates; compare the last meeting's Beijing date
    out: dict[int, Decimal] = {}
    for i in range(0, len(registration_ids), 2000):
        chunk = registration_ids[i : i + 2000]
        rows = db.session.execute(
            sa.select(
                Registration.id,
                Registration.registered_on,
                Registration.expires_on,
                last.c.last,
                Enrolment.hours_awarded,
            )
            .join(Enrolment, sa.and_(Enrolment.worker_id == Registration.worker_id, Enrolment.completed.is_(True)))
            .join(last, last.c.session_id == Enrolment.session_id)
            .where(Registration.id.in_(chunk))
        )
        for reg_id, start, end, when, hours in rows:
            if start <= when.astimezone(LOCAL_TZ).date() <= end:
                out[reg_id] = out.get(reg_id, Decimal(0)) + hours
    return out


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
