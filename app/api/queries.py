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


def _run_line_filter(run: AllowanceRun, districts: list[int] | None) -> list:
    where = [AllowanceLine.run_id == run.id]
    if districts is not None:
        where.append(AllowanceLine.part_district_id.in_(districts or [0]))
    return where


LINE_COLUMNS = (
    "id",
    "worker_id",
    "kind",
    "corrects_month",
    "district_code",
    "district_name",
    "street_name",
    "community_name",
    "level",
    "certificate_no",
    "rate",
    "eligible_days",
    "days_in_month",
    "amount",
    "ineligible",
    "held",
    "hold_reason",
    "formula",
)
LINE_ORDER = ("district_id", "street_id", "worker_id", "kind", "corrects_month", "id")  # ix_allowance_line_run_order


def run_lines_page(run: AllowanceRun, districts: list[int] | None, page: int, per_page: int) -> Page:
    """A page of a run's lines with their workers' names and ID numbers, in three short queries:
    the count and the page's ids from the index ix_allowance_line_run_order alone (it holds the
    order, the id and the part's district: an index-only scan, no sort, no join), then those lines
    by their keys, each with its worker looked up by key (a join would let PostgreSQL hash the whole
    worker table for 1,000 rows). The count needs no worker: every line has one (a foreign key)."""
    line = AllowanceLine
    where = _run_line_filter(run, districts)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(line).where(*where))
    order = [getattr(line, c) for c in LINE_ORDER]
    ids = list(
        db.session.scalars(
            sa.select(line.id).where(*where).order_by(*order).limit(per_page).offset((page - 1) * per_page)
        )
    )
    of_worker = Worker.id == line.worker_id
    query = (
        sa.select(
            line.id,
            line.worker_id,
            sa.select(Worker.name).where(of_worker).scalar_subquery().label("name"),
            sa.select(Worker.id_number).where(of_worker).scalar_subquery().label("id_number"),
        )
        .add_columns(*(getattr(line, c) for c in LINE_COLUMNS[2:]))
        .where(line.id.in_(ids))
        .order_by(*order)
    )
    rows = db.session.execute(query).mappings() if ids else []
    return Page([dict(r) for r in rows], total, page, per_page)


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
