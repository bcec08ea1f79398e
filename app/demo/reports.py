"""Demo data for the department's reports: two terms of the 两委, education for every worker,
district incomes and directors' monthly pay (a few below the floor, a few without a record),
so that every report shows something real on `make run`."""

import random
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.core.timeutil import add_months, local_today, utcnow
from app.demo.copy import insert_rows
from app.extensions import db
from app.places.models import Community, CommunityType, District
from app.reports import services as reports
from app.reports.models import Term
from app.reports.pay_floor import monthly_floor
from app.reports.pay_floor_models import DirectorPay, DistrictIncome
from app.workers.education import Education, EducationLevel
from app.workers.models import PostPeriod, PostType, Worker

DEMO_TERMS = {"2016届": date(2016, 11, 20), "2021届": date(2021, 11, 20)}


def seed_reports(rng: random.Random) -> None:
    """Two terms of the 两委 and education for every worker, so the term report shows something:
    younger workers hold higher levels, and some earned 大专 or more later in life (adult
    education), which is what moves the share between the terms."""
    for name, elected_on in DEMO_TERMS.items():
        if db.session.scalar(sa.select(Term.id).where(Term.name == name)) is None:
            reports.add_term(name, elected_on)
    today, now = local_today(), utcnow()
    levels = list(EducationLevel)
    rows = []
    for worker_id, birth in db.session.execute(sa.select(Worker.id, Worker.birth_date).order_by(Worker.id)):
        young = min(max((birth.year - 1965) / 35, 0.0), 1.0)  # 0 for the oldest, 1 for the youngest
        first = rng.choices(levels[:4], weights=(3 - 2 * young, 4 - 2 * young, 2 + 2 * young, 1 + 3 * young))[0]
        first_on = date(birth.year + (16, 19, 21, 22)[levels.index(first)], 7, 1)
        rows.append(_education_row(worker_id, first, first_on, today, rng, now))
        if levels.index(first) < 3 and rng.random() < 0.35:  # a higher level later, part-time
            later = levels[levels.index(first) + 1]
            later_on = first_on + timedelta(days=rng.randint(3 * 365, 25 * 365))
            if later_on <= today:
                rows.append(_education_row(worker_id, later, later_on, today, rng, now))
    for i in range(0, len(rows), 5000):
        insert_rows(Education.__table__, rows[i : i + 5000])
    db.session.flush()


def _education_row(worker_id, level, obtained_on, today, rng, now) -> dict:
    known = rng.random() > 0.1  # a tenth of the records come without a date
    return {
        "worker_id": worker_id,
        "level": level.name,
        "obtained_on": min(obtained_on, today) if known else None,
        "created_at": now,
        "updated_at": now,
    }


def seed_pay_floor(rng: random.Random) -> None:
    """Each district's income for the last three years (rising about 5 % a year) and, for every
    head of an urban community, a monthly pay for the last 18 months: most a little above the
    floor, one in twenty just below it, one in fifty with no record for the last month."""
    today, now = local_today(), utcnow()
    incomes: dict[tuple[int, int], Decimal] = {}
    rows = []
    for district_id in db.session.scalars(sa.select(District.id).order_by(District.id)):
        base = Decimal(rng.randint(36000, 46000))
        for back in (3, 2, 1):
            year = today.year - back
            income = (base * Decimal("1.05") ** (3 - back)).quantize(Decimal("1"))
            incomes[(district_id, year)] = income
            rows.append(
                {"district_id": district_id, "year": year, "income": income, "created_at": now, "updated_at": now}
            )
    insert_rows(DistrictIncome.__table__, rows)
    heads = db.session.execute(
        sa.select(PostPeriod.worker_id, Community.district_id, PostPeriod.start_date, PostPeriod.end_date)
        .join(Community, Community.id == PostPeriod.community_id)
        .where(PostPeriod.post_type == PostType.head, Community.community_type == CommunityType.urban)
        .order_by(PostPeriod.worker_id, PostPeriod.start_date)
    ).all()
    last = add_months(today.replace(day=1), -1)
    months = [add_months(last, -back) for back in range(17, -1, -1)]
    pay = {}
    for worker_id, district_id, start, end in heads:
        below, missing = rng.random() < 0.05, rng.random() < 0.02
        for month in months:
            income = incomes.get((district_id, month.year - 1))
            if income is None or start > month + timedelta(days=27) or (end is not None and end < month):
                continue
            if month == last and missing:
                continue
            floor = monthly_floor(income)
            amount = (
                floor - rng.choice((Decimal("0.01"), Decimal("150")))
                if below
                else floor * Decimal(rng.randint(100, 118)) / 100
            )
            pay[(worker_id, month)] = amount.quantize(Decimal("0.01"))
    rows = [{"worker_id": w, "month": m, "pay": p, "created_at": now, "updated_at": now} for (w, m), p in pay.items()]
    for i in range(0, len(rows), 5000):
        insert_rows(DirectorPay.__table__, rows[i : i + 5000])
    db.session.flush()
