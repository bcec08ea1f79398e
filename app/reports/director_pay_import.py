"""The director pay file (DOMAIN.md): id_number, month (YYYY-MM), pay; key (id_number, month).

All or nothing: every bad row is reported and a plan with any error is never applied; re-importing
the same file changes nothing. A row whose person is not among the importer's workers (not
registered, or outside their districts) gets the same answer either way.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import tabular
from app.core.bulk import insert_rows
from app.core.identity import InvalidIdentity, parse_id_number
from app.core.importing import RowsPlan, register_scoped_import
from app.core.tabular import Column, RowError
from app.core.timeutil import utcnow
from app.extensions import db
from app.reports.income_import import parse_amount
from app.reports.pay_floor import parse_month
from app.reports.pay_floor_models import DirectorPay
from app.workers.models import Worker

PAY_COLUMNS = [
    Column("id_number", "身份证号"),
    Column("name", "姓名", required=False),
    Column("month", "月份"),
    Column("pay", "报酬"),
]
MAX_PAY = Decimal("1000000")
CHUNK = 2000


@dataclass
class PayRow:
    row: int
    id_number: str
    month: date
    pay: Decimal
    worker_id: int | None = None


def read_month(value) -> date:
    """YYYY-MM; an Excel date cell counts as its month."""
    if isinstance(value, (date, datetime)):
        return date(value.year, value.month, 1)
    raw = tabular.text(value, max_length=10)
    month = parse_month(raw.replace("/", "-"))
    if month is None:
        raise ValueError(_("“%(value)s” is not a month in the form YYYY-MM", value=raw[:10]))
    return month


def _parse_row(number: int, raw: dict, table, errors: list[RowError]) -> PayRow | None:
    readers = {
        "id_number": lambda: parse_id_number(tabular.code_text(raw.get("id_number"))).number,
        "month": lambda: read_month(raw.get("month")),
        "pay": lambda: parse_amount(raw.get("pay"), MAX_PAY, allow_zero=True),
    }
    values = {}
    for column, read in readers.items():
        try:
            values[column] = read()
        except (InvalidIdentity, ValueError) as exc:
            errors.append(RowError(number, table.label(column), str(exc)))
    return PayRow(number, **values) if len(values) == len(readers) else None


def _resolve_workers(rows: list[PayRow], allowed: set[int] | None, table, errors) -> None:
    numbers, found = sorted({r.id_number for r in rows}), {}
    for i in range(0, len(numbers), CHUNK):
        query = sa.select(Worker.id_number, Worker.id, Worker.district_id).where(
            Worker.id_number.in_(numbers[i : i + CHUNK])
        )
        found.update((w.id_number, w) for w in db.session.execute(query))
    for r in rows:
        worker = found.get(r.id_number)
        if worker is not None and (allowed is None or worker.district_id in allowed):
            r.worker_id = worker.id
        elif allowed is None:
            errors.append(RowError(r.row, table.label("id_number"), _("no worker with this ID number is registered")))
        else:
            message = _("this person is not among your districts' workers")
            errors.append(RowError(r.row, table.label("id_number"), message))


def _diff(rows: list[PayRow], plan: RowsPlan) -> None:
    worker_ids, existing = sorted({r.worker_id for r in rows}), {}
    months = sorted({r.month for r in rows})
    for i in range(0, len(worker_ids), CHUNK):
        query = sa.select(DirectorPay.worker_id, DirectorPay.month, DirectorPay.pay).where(
            DirectorPay.worker_id.in_(worker_ids[i : i + CHUNK]), DirectorPay.month.in_(months)
        )
        existing.update(((p.worker_id, p.month), p.pay) for p in db.session.execute(query))
    for r in rows:
        before = existing.get((r.worker_id, r.month))
        if before is None:
            plan.inserts.append(r)
        elif before != r.pay:
            plan.updates.append(r)
        else:
            plan.unchanged += 1


def plan_pay_import(filename: str, data: bytes, allowed: set[int] | None) -> RowsPlan:
    """Read and check the whole file, writing nothing; raises tabular.FileRejected when unreadable."""
    table = tabular.read_table(filename, data, PAY_COLUMNS)
    plan = RowsPlan(total_rows=len(table.rows))
    rows, seen = [], {}
    for number, raw in table.rows:
        row = _parse_row(number, raw, table, plan.errors)
        if row is None:
            continue
        key = (row.id_number, row.month)
        if key in seen:
            message = _("the same record is already in row %(row)d", row=seen[key])
            plan.errors.append(RowError(number, table.label("month"), message))
            continue
        seen[key] = number
        rows.append(row)
    _resolve_workers(rows, allowed, table, plan.errors)
    if plan.errors:
        plan.errors.sort(key=lambda e: e.row)
        return plan
    _diff(rows, plan)
    return plan


def apply_pay_import(plan: RowsPlan, filename: str) -> dict:
    """Write a checked plan; returns the counts shown to the user."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    now, table = utcnow(), DirectorPay.__table__
    insert_rows(
        table,
        [
            {"worker_id": r.worker_id, "month": r.month, "pay": r.pay, "created_at": now, "updated_at": now}
            for r in plan.inserts
        ],
    )
    if plan.updates:
        db.session.execute(
            table.update()
            .where(table.c.worker_id == sa.bindparam("b_worker"), table.c.month == sa.bindparam("b_month"))
            .values(pay=sa.bindparam("b_pay"), updated_at=now),
            [{"b_worker": r.worker_id, "b_month": r.month, "b_pay": r.pay} for r in plan.updates],
        )
    return plan.applied("director_pay", "director pay", filename)


def register_pay_import() -> None:
    """Called by the factory: the import pages and the job runner find the kind by its name."""
    register_scoped_import("director_pay", plan_pay_import, apply_pay_import, "reports.pay_floor")
