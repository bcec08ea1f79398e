"""Credit hours earned in training: what the CE ledgers (in exams) count, through the functions
the factory hands them. Periods are Beijing dates; a session counts on its last meeting's date."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.core.timeutil import LOCAL_TZ
from app.exams.models import Registration
from app.extensions import db
from app.training.models import Enrolment, Meeting


def local_range(day_from: date, day_to: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(day_from, time(), LOCAL_TZ),
        datetime.combine(day_to + timedelta(days=1), time(), LOCAL_TZ),
    )


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
