"""Coordinators' figures: pass rates, CE at risk, registrations expiring. Always scoped."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.exams import queries
from app.exams.models import CERecord, ExamResult, ExamYear, Registration
from app.exams.queries import CELedger
from app.extensions import db
from app.places.models import District
from app.workers.models import Worker


def _scoped_ids(worker_query: sa.Select):
    return sa.select(worker_query.with_only_columns(Worker.id).order_by(None).subquery().c.id)


@dataclass
class Rate:
    key: str
    sat: int
    passed: int

    @property
    def percent(self) -> float:
        return round(self.passed * 100 / self.sat, 1) if self.sat else 0.0


def pass_rates(worker_query: sa.Select, by: str, results_by: date | None = None) -> list[Rate]:
    """Pass rates grouped by 'district', 'year' or 'subject' (one result = one sitting); with
    `results_by`, only the exam years whose results were out by that day (a report "as of")."""
    group = {"district": District.name, "year": ExamYear.year, "subject": ExamResult.subject}[by]
    stmt = (
        sa.select(group, sa.func.count(), sa.func.sum(sa.case((ExamResult.passed, 1), else_=0)))
        .select_from(ExamResult)
        .join(ExamYear)
        .join(Worker, Worker.id == ExamResult.worker_id)
        .where(ExamResult.worker_id.in_(_scoped_ids(worker_query)))
    )
    if results_by is not None:
        stmt = stmt.where(ExamYear.results_date <= results_by)
    if by == "district":
        stmt = stmt.join(District, District.id == Worker.district_id)
    rows = db.session.execute(stmt.group_by(group).order_by(group)).all()
    return [Rate(str(key), int(sat), int(passed or 0)) for key, sat, passed in rows]


@dataclass
class AtRisk:
    worker: Worker
    ledger: CELedger


def ce_at_risk(worker_query: sa.Select, today: date, limit: int = 200) -> list[AtRisk]:
    """Registrations in force with under 12 months left whose hours are below the pro-rata share."""
    candidates = db.session.execute(
        sa.select(Registration, Worker)
        .join(Worker, Worker.id == Registration.worker_id)
        .where(
            Registration.worker_id.in_(_scoped_ids(worker_query)),
            Registration.registered_on <= today,
            Registration.expires_on >= today,
            Registration.expires_on < today + timedelta(days=365),
        )
        .order_by(Registration.expires_on)
    ).all()
    if not candidates:
        return []
    hours = {}
    reg_ids = [r.id for r, _w in candidates]
    for i in range(0, len(reg_ids), 2000):
        chunk = reg_ids[i : i + 2000]
        rows = db.session.execute(
            sa.select(Registration.id, sa.func.coalesce(sa.func.sum(CERecord.hours), 0))
            .outerjoin(
                CERecord,
                sa.and_(
                    CERecord.worker_id == Registration.worker_id,
                    CERecord.proof != "",
                    CERecord.date >= Registration.registered_on,
                    CERecord.date <= Registration.expires_on,
                ),
            )
            .where(Registration.id.in_(chunk))
            .group_by(Registration.id)
        )
        hours.update({rid: Decimal(h) for rid, h in rows})
    trained = queries.completed_hours_by_registration(reg_ids)
    found = []
    for reg, worker in candidates:
        ledger = CELedger(reg, reg.level.ce_hours, trained.get(reg.id, Decimal(0)), hours.get(reg.id, Decimal(0)), [])
        if ledger.at_risk(today):
            found.append(AtRisk(worker, ledger))
            if len(found) >= limit:
                break
    return found
