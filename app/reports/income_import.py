"""The district income file (DOMAIN.md): district_code, year, income (城镇常住居民人均可支配收入);
key (district_code, year).

All or nothing: every bad row is reported and a plan with any error is never applied. A district
user imports their districts' rows only; a row of another district is refused with its reason.
"""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import tabular
from app.core.importing import RowsPlan, register_scoped_import
from app.core.tabular import Column, RowError
from app.extensions import db
from app.places.models import District
from app.reports.pay_floor_models import DistrictIncome

INCOME_COLUMNS = [
    Column("district_code", "区县代码"),
    Column("year", "年度"),
    Column("income", "城镇常住居民人均可支配收入"),
]
EARLIEST_YEAR, LATEST_YEAR = 1990, 2100
MAX_INCOME = Decimal("10000000")


@dataclass
class IncomeRow:
    row: int
    district_id: int
    year: int
    income: Decimal


def parse_year(value) -> int:
    raw = tabular.text(value, max_length=10)
    if not raw.isdigit() or not EARLIEST_YEAR <= int(raw) <= LATEST_YEAR:
        raise ValueError(_("“%(value)s” is not a year between 1990 and 2100", value=raw[:10]))
    return int(raw)


def parse_amount(value, maximum: Decimal, allow_zero: bool = False) -> Decimal:
    """An amount in 元 with at most two decimals, above zero (or zero when allowed), below `maximum`."""
    amount = tabular.parse_decimal(value)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValueError(_("must be more than zero") if not allow_zero else _("must not be negative"))
    if amount >= maximum:
        raise ValueError(_("is larger than any amount this file can hold"))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("has more than two decimals"))
    return amount.quantize(Decimal("0.01"))


def _district_id(value, districts: dict[str, int], allowed: set[int] | None) -> int:
    code = tabular.code_text(value)
    if code not in districts:
        raise ValueError(_("district code “%(code)s” is not in the district list", code=code[:20]))
    if allowed is not None and districts[code] not in allowed:
        raise ValueError(_("this district is not among your districts"))
    return districts[code]


def plan_income_import(filename: str, data: bytes, allowed: set[int] | None) -> RowsPlan:
    """Read and check the whole file, writing nothing; raises tabular.FileRejected when unreadable."""
    table = tabular.read_table(filename, data, INCOME_COLUMNS)
    plan = RowsPlan(total_rows=len(table.rows))
    districts = dict(db.session.execute(sa.select(District.code, District.id)).all())
    rows, seen = [], {}
    for number, raw in table.rows:
        readers = {
            "district_code": lambda raw=raw: _district_id(raw.get("district_code"), districts, allowed),
            "year": lambda raw=raw: parse_year(raw.get("year")),
            "income": lambda raw=raw: parse_amount(raw.get("income"), MAX_INCOME),
        }
        values = {}
        for column, read in readers.items():
            try:
                values[column] = read()
            except ValueError as exc:
                plan.errors.append(RowError(number, table.label(column), str(exc)))
        if len(values) < len(readers):
            continue
        key = (values["district_code"], values["year"])
        if key in seen:
            message = _("the same record is already in row %(row)d", row=seen[key])
            plan.errors.append(RowError(number, table.label("year"), message))
            continue
        seen[key] = number
        rows.append(IncomeRow(number, values["district_code"], values["year"], values["income"]))
    if plan.errors:
        plan.errors.sort(key=lambda e: e.row)
        return plan
    existing = {(i.district_id, i.year): i.income for i in db.session.scalars(sa.select(DistrictIncome))}
    for r in rows:
        before = existing.get((r.district_id, r.year))
        if before is None:
            plan.inserts.append(r)
        elif before != r.income:
            plan.updates.append(r)
        else:
            plan.unchanged += 1
    return plan


def apply_income_import(plan: RowsPlan, filename: str) -> dict:
    """Write a checked plan (each row through the ORM, so the audit log has every change)."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    for r in plan.inserts:
        db.session.add(DistrictIncome(district_id=r.district_id, year=r.year, income=r.income))
    for r in plan.updates:
        found = db.session.scalar(
            sa.select(DistrictIncome).where(DistrictIncome.district_id == r.district_id, DistrictIncome.year == r.year)
        )
        found.income = r.income
    db.session.flush()
    return plan.applied("district_income", "district income", filename)


def register_income_import() -> None:
    """Called by the factory: the import pages and the job runner find the kind by its name."""
    register_scoped_import("district_income", plan_income_import, apply_income_import, "reports.income_list")
