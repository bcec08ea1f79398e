"""The exams domain's part of the due-reminders scan (registered with app/reminders/due.py by
the factory): the exam's registration window, first registration, expiring registrations, CE."""

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.core.timeutil import add_months
from app.exams.models import Qualification, Registration
from app.exams.reports import ce_at_risk
from app.extensions import db
from app.reminders import offsets
from app.reminders.due import Item
from app.reminders.models import NoticeKind
from app.workers.models import Worker


def first_registration_due(today: date) -> list[Item]:
    """Nine months after obtaining, still never registered (until the one-year deadline)."""
    registered = sa.exists().where(
        Registration.worker_id == Qualification.worker_id, Registration.level == Qualification.level
    )
    rows = db.session.execute(
        sa.select(User.id, Qualification.id, Qualification.level, Qualification.obtained_on)
        .join(User, User.worker_id == Qualification.worker_id)
        .where(
            ~registered,
            Qualification.obtained_on <= add_months(today, -9),
            Qualification.obtained_on > add_months(today, -12),
        )
    ).all()
    return [
        (
            uid,
            NoticeKind.first_registration_due.value,
            f"qualification:{qid}",
            obtained.isoformat(),
            {"level": level.value, "due": add_months(obtained, 12).isoformat()},
        )
        for uid, qid, level, obtained in rows
    ]


def registration_expiring(today: date) -> list[Item]:
    """90 and 30 days before a registration ends, unless it has been renewed."""
    far = offsets.days_before(NoticeKind.registration_expiring_90)
    near = offsets.days_before(NoticeKind.registration_expiring_30)
    later = aliased(Registration)
    renewed = sa.exists().where(
        later.worker_id == Registration.worker_id,
        later.level == Registration.level,
        later.registered_on > Registration.registered_on,
    )
    rows = db.session.execute(
        sa.select(User.id, Registration.id, Registration.level, Registration.expires_on)
        .join(User, User.worker_id == Registration.worker_id)
        .where(~renewed, Registration.expires_on >= today, Registration.expires_on <= today + timedelta(days=far))
    ).all()
    items = []
    for uid, rid, level, expires in rows:
        kind = (
            NoticeKind.registration_expiring_30
            if expires <= today + timedelta(days=near)
            else NoticeKind.registration_expiring_90
        )
        items.append(
            (
                uid,
                kind.value,
                f"registration:{rid}",
                expires.isoformat(),
                {"level": level.value, "expires": expires.isoformat()},
            )
        )
    return items


def ce_shortfall(today: date) -> list[Item]:
    """Monthly, while a worker is at risk on continuing education."""
    at_risk = ce_at_risk(sa.select(Worker), today, limit=1_000_000)
    if not at_risk:
        return []
    users = dict(
        db.session.execute(
            sa.select(User.worker_id, User.id).where(User.worker_id.in_([r.worker.id for r in at_risk]))
        ).all()
    )
    month = f"{today:%Y-%m}"
    return [
        (
            users[r.worker.id],
            NoticeKind.ce_shortfall.value,
            f"registration:{r.ledger.registration.id}",
            month,
            {
                "done": str(r.ledger.total),
                "required": r.ledger.required,
                "expires": r.ledger.registration.expires_on.isoformat(),
            },
        )
        for r in at_risk
        if r.worker.id in users
    ]


def find_due(_now: datetime, today: date) -> list[Item]:
    return first_registration_due(today) + registration_expiring(today) + ce_shortfall(today)
