"""Reads for the director pay floor, always within the user's districts (a district coordinator
sees theirs, payroll and the admin the city).

Directors of a month are the workers whose post history has a head post at an urban community
(社区) overlapping that month, counted in that post's district (the last such post in the month).
The post history, not the worker's latest post, so a past month reads the same after later moves.
"""

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.core.access import district_scope
from app.core.services import RecordNotFound
from app.core.timeutil import add_months, local_today
from app.extensions import db
from app.places.models import Community, CommunityType, District
from app.reports.pay_floor import (
    Director,
    PayFloorReport,
    YearLine,
    build_report,
    income_year,
    parse_month,
    yearly_trend,
)
from app.reports.pay_floor_models import DirectorPay, DistrictIncome
from app.workers.models import PostPeriod, PostType, Worker


def _in_scope(query, column, scope: set[int] | None):
    return query if scope is None else query.where(column.in_(scope or [0]))


def _head_of_urban_community():
    return sa.and_(PostPeriod.post_type == PostType.head, Community.community_type == CommunityType.urban)


def directors_in_month(scope: set[int] | None, first: date) -> tuple[list[Director], dict[int, Decimal]]:
    """The month's directors and their pay records of the month (worker id → pay), in one query."""
    last = add_months(first, 1) - timedelta(days=1)
    query = (
        sa.select(
            PostPeriod.worker_id,
            Worker.id_number,
            Worker.name,
            Community.district_id,
            Community.name,
            DirectorPay.pay,
        )
        .join(Community, Community.id == PostPeriod.community_id)
        .join(Worker, Worker.id == PostPeriod.worker_id)
        .outerjoin(DirectorPay, sa.and_(DirectorPay.worker_id == PostPeriod.worker_id, DirectorPay.month == first))
        .where(
            _head_of_urban_community(),
            PostPeriod.start_date <= last,
            sa.or_(PostPeriod.end_date.is_(None), PostPeriod.end_date >= first),
        )
        .order_by(PostPeriod.worker_id, PostPeriod.start_date)
    )
    found, pays = {}, {}
    for *row, pay in db.session.execute(_in_scope(query, Community.district_id, scope)):
        found[row[0]] = Director(*row)  # ordered by start: the month's last head post wins
        if pay is not None:
            pays[row[0]] = pay
    return list(found.values()), pays


def incomes_of(year: int, scope: set[int] | None) -> dict[int, Decimal]:
    query = sa.select(DistrictIncome.district_id, DistrictIncome.income).where(DistrictIncome.year == year)
    return dict(db.session.execute(_in_scope(query, DistrictIncome.district_id, scope)).all())


def district_names(ids) -> dict[int, tuple[str, str]]:
    query = sa.select(District.id, District.code, District.name).where(District.id.in_(list(ids) or [0]))
    return {d.id: (d.code, d.name) for d in db.session.execute(query)}


def monthly_pay_of_directors(scope: set[int] | None) -> list[tuple[date, Decimal, int]]:
    """(month, total, records) of the pay records of workers who were directors in that month.

    A head post overlaps a month when it starts by the month's end (its year·12+month is not
    later) and does not end before the month's first day: one grouped query, the same on
    PostgreSQL and SQLite."""

    def month_index(column):
        return sa.extract("year", column) * 12 + sa.extract("month", column)

    director = (
        sa.select(sa.literal(1))
        .select_from(PostPeriod)
        .join(Community, Community.id == PostPeriod.community_id)
        .where(
            PostPeriod.worker_id == DirectorPay.worker_id,
            _head_of_urban_community(),
            month_index(PostPeriod.start_date) <= month_index(DirectorPay.month),
            sa.or_(PostPeriod.end_date.is_(None), PostPeriod.end_date >= DirectorPay.month),
        )
    )
    director = _in_scope(director, Community.district_id, scope)
    query = (
        sa.select(DirectorPay.month, sa.func.sum(DirectorPay.pay), sa.func.count())
        .where(director.exists())
        .group_by(DirectorPay.month)
        .order_by(DirectorPay.month)
    )
    return [(m, Decimal(total), int(count)) for m, total, count in db.session.execute(query)]


def trend(user) -> list[YearLine]:
    return yearly_trend(monthly_pay_of_directors(district_scope(user)))


def latest_pay_month(user) -> date | None:
    """The latest month with a pay record of a worker in the user's districts."""
    query = sa.select(sa.func.max(DirectorPay.month)).join(Worker, Worker.id == DirectorPay.worker_id)
    return db.session.scalar(_in_scope(query, Worker.district_id, district_scope(user)))


def pay_floor_report(user, month: date, with_trend: bool = True) -> PayFloorReport:
    """The month's report: every director judged against their district's floor, the districts'
    averages beside their floors, and (with_trend) the yearly trend of the average."""
    scope = district_scope(user)
    directors, pays = directors_in_month(scope, month)
    district_ids = {d.district_id for d in directors}
    report = build_report(
        month,
        directors,
        pays,
        incomes_of(income_year(month), scope),
        district_names(district_ids),
        city_wide=scope is None,
    )
    if with_trend:
        report.trend = trend(user)
    return report


def incomes_for(user) -> list[DistrictIncome]:
    """The recorded incomes in the user's districts, latest year first."""
    query = sa.select(DistrictIncome).join(District, District.id == DistrictIncome.district_id)
    query = _in_scope(query, DistrictIncome.district_id, district_scope(user))
    return list(db.session.scalars(query.order_by(DistrictIncome.year.desc(), District.code)))


def chosen_month(user, text: str | None) -> date:
    """The month asked for (YYYY-MM), else the latest with pay records, else this month."""
    return parse_month(text) or latest_pay_month(user) or local_today().replace(day=1)


def income_by_id(user, income_id: int) -> DistrictIncome:
    """A recorded income in the user's districts; RecordNotFound otherwise."""
    found = db.session.get(DistrictIncome, income_id)
    scope = district_scope(user)
    if found is None or (scope is not None and found.district_id not in scope):
        raise RecordNotFound()
    return found
