"""Reads for training, scoped: sessions in a coordinator's districts, a worker's own training."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import aliased

from app.core.access import Role, district_scope
from app.core.timeutil import LOCAL_TZ, utcnow
from app.extensions import db
from app.training.models import Attendance, Enrolment, EnrolmentState, Mark, Meeting, SessionStatus, TrainingSession


def scoped_sessions(user) -> sa.Select:
    """Staff see city-wide sessions and those of their districts; a worker, city-wide ones and
    those of the district they work in."""
    query = sa.select(TrainingSession)
    if user.role == Role.worker:
        from app.workers.models import Worker

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


def roster(session_id: int, state: EnrolmentState = EnrolmentState.enrolled) -> list[Enrolment]:
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.session_id == session_id, Enrolment.state == state)
            .order_by(Enrolment.position)
        )
    )


def marks(meeting_ids: list[int]) -> dict[tuple[int, int], Mark]:
    if not meeting_ids:
        return {}
    return {
        (a.meeting_id, a.worker_id): a.mark
        for a in db.session.execute(
            sa.select(Attendance.meeting_id, Attendance.worker_id, Attendance.mark).where(
                Attendance.meeting_id.in_(meeting_ids)
            )
        )
    }


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


def worker_clashes(session: TrainingSession, limit: int = 50) -> list[tuple[str, Meeting, Meeting]]:
    """Enrolled workers who are also enrolled in another session with an overlapping meeting."""
    other_m, other_e = aliased(Meeting), aliased(Enrolment)
    from app.workers.models import Worker

    rows = db.session.execute(
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
    ).all()
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
        live = e.session.status not in (SessionStatus.completed, SessionStatus.cancelled)
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
