"""Reads: a worker's exam record, registration status, and the CE ledger."""

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from app.core.timeutil import add_months
from app.exams.engine import add_years
from app.exams.levels import Level
from app.exams.models import CERecord, ExamResult, ExamYear, Qualification, Registration
from app.extensions import db
from app.workers.models import Worker

RENEWAL_WINDOW_MONTHS = 3
FIRST_REGISTRATION_YEARS = 1


class RegistrationStatus(str, enum.Enum):
    not_registered = "not_registered"
    first_due = "first_due"
    registered = "registered"
    renewal_open = "renewal_open"
    lapsed = "lapsed"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    RegistrationStatus.not_registered: _l("Not registered"),
    RegistrationStatus.first_due: _l("First registration due"),
    RegistrationStatus.registered: _l("Registered"),
    RegistrationStatus.renewal_open: _l("Renewal window open"),
    RegistrationStatus.lapsed: _l("Lapsed"),
}


@dataclass
class StatusView:
    status: RegistrationStatus
    until: date | None  # registered until / first registration due by / lapsed since


def registration_status(qualification: Qualification, registrations: list[Registration], today: date) -> StatusView:
    regs = sorted((r for r in registrations if r.level == qualification.level), key=lambda r: r.registered_on)
    current = [r for r in regs if r.registered_on <= today <= r.expires_on]
    if current:
        latest = max(current, key=lambda r: r.expires_on)
        renewed = any(r.registered_on > latest.registered_on for r in regs)
        if not renewed and today >= add_months(latest.expires_on, -RENEWAL_WINDOW_MONTHS):
            return StatusView(RegistrationStatus.renewal_open, latest.expires_on)
        return StatusView(RegistrationStatus.registered, latest.expires_on)
    future = [r for r in regs if r.registered_on > today]
    if future:
        return StatusView(RegistrationStatus.registered, max(r.expires_on for r in future))
    if regs:
        return StatusView(RegistrationStatus.lapsed, regs[-1].expires_on)
    due = add_years(qualification.obtained_on, FIRST_REGISTRATION_YEARS)
    if today <= due:
        return StatusView(RegistrationStatus.first_due, due)
    return StatusView(RegistrationStatus.not_registered, due)


@dataclass
class CELedger:
    registration: Registration
    required: int
    from_training: Decimal
    from_records: Decimal
    records: list[CERecord]

    @property
    def total(self) -> Decimal:
        return self.from_training + self.from_records

    @property
    def percent(self) -> int:
        return min(100, int(self.total * 100 / self.required)) if self.required else 100

    def at_risk(self, today: date) -> bool:
        """Under 12 months left and below the pro-rata share of the hours."""
        start, end = self.registration.registered_on, self.registration.expires_on
        if not start <= today <= end or self.total >= self.required:
            return False
        days_total = (end - start).days + 1
        elapsed = (today - start).days + 1
        left = (end - today).days
        return left < 365 and self.total < Decimal(self.required) * elapsed / days_total


# Training sits above exams: the factory sets these to training's queries (completed_hours,
# completed_hours_by_registration), so the CE ledger counts its hours without importing it.
completed_hours = None
completed_hours_by_registration = None


def training_hours(worker_id: int, start: date, end: date) -> Decimal:
    """Credit hours of completed training sessions whose last meeting falls in [start, end]."""
    return completed_hours(worker_id, start, end)


def ce_ledgers(worker_id: int, registrations: list[Registration]) -> list[CELedger]:
    if not registrations:
        return []  # most workers: no registration, nothing to read
    records = list(
        db.session.scalars(
            sa.select(CERecord).where(CERecord.worker_id == worker_id, CERecord.proof != "").order_by(CERecord.date)
        )
    )
    ledgers = []
    for reg in sorted(registrations, key=lambda r: r.registered_on, reverse=True):
        inside = [r for r in records if reg.registered_on <= r.date <= reg.expires_on]
        ledgers.append(
            CELedger(
                reg,
                reg.level.ce_hours,
                training_hours(worker_id, reg.registered_on, reg.expires_on),
                sum((r.hours for r in inside), Decimal(0)),
                inside,
            )
        )
    return ledgers


@dataclass
class ExamRecord:
    results: list[ExamResult]
    qualifications: list[Qualification]
    registrations: list[Registration]
    statuses: dict[int, StatusView]
    ledgers: list[CELedger]


def exam_record(worker_id: int, today: date) -> ExamRecord:
    results = list(
        db.session.scalars(
            sa.select(ExamResult)
            .join(ExamYear)
            .where(ExamResult.worker_id == worker_id)
            .order_by(ExamYear.year.desc(), ExamResult.subject)
        )
    )
    quals = list(db.session.scalars(sa.select(Qualification).where(Qualification.worker_id == worker_id)))
    quals.sort(key=lambda q: q.level.rank, reverse=True)
    regs = list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.worker_id == worker_id)
            .order_by(Registration.registered_on.desc())
        )
    )
    statuses = {q.id: registration_status(q, regs, today) for q in quals}
    return ExamRecord(results, quals, regs, statuses, ce_ledgers(worker_id, regs))


def highest_level(worker_id: int) -> Level | None:
    levels = db.session.scalars(sa.select(Qualification.level).where(Qualification.worker_id == worker_id)).all()
    return max(levels, key=lambda lv: lv.rank) if levels else None


def expiring_within(days: int, today: date, worker_query: sa.Select):
    """Registrations ending within `days` whose holder has not renewed (in the given worker scope)."""
    scoped = worker_query.with_only_columns(Worker.id).order_by(None).subquery()
    r2 = aliased(Registration, name="r2")
    renewed = sa.exists().where(
        r2.worker_id == Registration.worker_id,
        r2.level == Registration.level,
        r2.registered_on > Registration.registered_on,
    )
    return (
        sa.select(Registration, Worker)
        .join(Worker, Worker.id == Registration.worker_id)
        .where(
            Registration.worker_id.in_(sa.select(scoped.c.id)),
            Registration.expires_on >= today,
            Registration.expires_on <= today + timedelta(days=days),
            ~renewed,
        )
        .order_by(Registration.expires_on)
    )


def exam_years() -> list[ExamYear]:
    """Every exam year set up, the latest first."""
    return list(db.session.scalars(sa.select(ExamYear).order_by(ExamYear.year.desc())))


def expiring_rows(days: int, today: date, worker_query: sa.Select, limit: int) -> list:
    """The first `limit` of expiring_within, as (Registration, Worker) rows."""
    return db.session.execute(expiring_within(days, today, worker_query).limit(limit)).all()
