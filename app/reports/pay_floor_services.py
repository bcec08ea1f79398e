"""Writes for the director pay floor from the pages: a district's income for a year."""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.access import district_scope
from app.core.services import NotPermitted, ServiceError
from app.extensions import db
from app.reports.income_import import EARLIEST_YEAR, LATEST_YEAR, MAX_INCOME
from app.reports.pay_floor_models import DistrictIncome


def save_income(user, district_id: int, year: int, income: Decimal) -> DistrictIncome:
    """Record or change a district's income for a year (one row per district and year)."""
    scope = district_scope(user)
    if scope is not None and district_id not in scope:
        raise NotPermitted()
    if year is None or not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ServiceError(_("Give a year between 1990 and 2100."), "year")
    if income is None or not Decimal("0") < income < MAX_INCOME:
        raise ServiceError(_("Give an income above zero."), "income")
    if income != income.quantize(Decimal("0.01")):
        raise ServiceError(_("An amount has at most two decimals."), "income")
    found = db.session.scalar(
        sa.select(DistrictIncome).where(DistrictIncome.district_id == district_id, DistrictIncome.year == year)
    )
    if found is None:
        found = DistrictIncome(district_id=district_id, year=year, income=income)
        db.session.add(found)
    else:
        found.income = income
    db.session.flush()
    return found
