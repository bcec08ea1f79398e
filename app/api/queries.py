"""The API's reads: locked runs and their lines, payment batches and their payments, each within
the client's districts (none: city-wide), as plain rows (a page of 1,000 lines is one query)."""

from dataclasses import dataclass

import sqlalchemy as sa

from app.allowance.models import AllowanceLine, AllowanceRun, RunState
from app.allowance.queries import month_of
from app.allowance.rules import Month
from app.api.models import ApiClient
from app.core.services import RecordNotFound
from app.extensions import db
from app.payments.models import PaymentBatch, PaymentLine, PaymentResult
from app.places.models import District
from app.workers.models import Worker


@dataclass
class Page:
    rows: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def district_ids(client: ApiClient, code: str | None) -> list[int] | None:
    """The districts a query keeps: the client's, narrowed to one district when asked (None: all)."""
    ids = None if client.city_wide else [d.id for d in client.districts]
    if code:
        wanted = db.session.scalar(sa.select(District.id).where(District.code == code))
        ids = [i for i in ([wanted] if wanted else []) if ids is None or i in ids]
    return ids


def paginate(query: sa.Select, page: int, per_page: int) -> Page:
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return Page([dict(r) for r in rows], total, page, per_page)


def paginate_objects(query: sa.Select, page: int, per_page: int) -> Page:
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    rows = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(rows, total, page, per_page)


def locked_runs(month: Month | None) -> sa.Select:
    query = sa.select(AllowanceRun).where(AllowanceRun.state == RunState.locked)
    if month is not None:
        query = query.where(AllowanceRun.month == month.first)
    return query.order_by(AllowanceRun.month.desc())


def locked_run(text: str) -> AllowanceRun:
    run = db.session.scalar(locked_runs(month_of(text)))
    if run is None:
        raise RecordNotFound(text)
    return run


def run_lines(run: AllowanceRun, districts: list[int] | None) -> sa.Select:
    line = AllowanceLine
    query = (
        sa.select(
            line.id,
            line.worker_id,
            Worker.name,
            Worker.id_number,
            line.kind,
            line.corrects_month,
            line.district_code,
            line.district_name,
            line.street_name,
            line.community_name,
            line.level,
            line.certificate_no,
            line.rate,
            line.eligible_days,
            line.days_in_month,
            line.amount,
            line.ineligible,
            line.held,
            line.hold_reason,
            line.formula,
        )
        .join(Worker, Worker.id == line.worker_id)
        .where(line.run_id == run.id)
    )
    if districts is not None:
        query = query.where(line.part_district_id.in_(districts or [0]))
    return query.order_by(line.district_id, line.street_id, line.worker_id, line.kind, line.corrects_month, line.id)


def batches(month: Month | None) -> sa.Select:
    query = sa.select(PaymentBatch)
    if month is not None:
        query = query.where(PaymentBatch.month == month.first)
    return query.order_by(PaymentBatch.month.desc())


def batch(text: str) -> PaymentBatch:
    found = db.session.scalar(batches(month_of(text)))
    if found is None:
        raise RecordNotFound(text)
    return found


def batch_lines(batch_: PaymentBatch, districts: list[int] | None) -> sa.Select:
    """A batch's payment lines (every worker settled in it) within the districts, as PaymentLine rows."""
    query = sa.select(PaymentLine).where(PaymentLine.batch_id == batch_.id)
    if districts is not None:
        query = query.where(PaymentLine.district_id.in_(districts or [0]))
    return query


def payments(batch_: PaymentBatch, districts: list[int] | None) -> sa.Select:
    pay = PaymentLine
    query = (
        sa.select(
            pay.id,
            pay.worker_id,
            pay.holder_name,
            pay.id_number,
            District.code.label("district_code"),
            District.name.label("district_name"),
            pay.account_no,
            pay.bank_name,
            pay.lines_total,
            pay.carried_in,
            pay.net,
            pay.paid,
            pay.carried_out,
            pay.outcome,
            PaymentResult.status.label("bank_result"),
            PaymentResult.reason.label("bank_reason"),
        )
        .outerjoin(District, District.id == pay.district_id)
        .outerjoin(PaymentResult, PaymentResult.line_id == pay.id)
        .where(pay.batch_id == batch_.id)
    )
    if districts is not None:
        query = query.where(pay.district_id.in_(districts or [0]))
    return query.order_by(pay.id)
