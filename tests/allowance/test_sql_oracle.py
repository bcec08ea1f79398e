"""The oracle: on PostgreSQL the allowance is one set-based statement (app/allowance/sql_month.py);
rules.py in Python is the readable statement of the same rules. For random histories (posts with
transfers, gaps and overlaps; qualifications at every level; registrations that lapse, renew and
overlap; dated city-wide and district rates; policy switches; holds; locked months computed
before late changes arrive) both give the same lines for a month and its arrears, every column."""

import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.allowance import compute
from app.allowance.models import (
    AllowanceHold,
    AllowanceLine,
    AllowancePolicy,
    AllowanceRate,
    AllowanceRun,
    AllowanceRunPart,
    RunState,
)
from app.allowance.rules import Month
from app.exams.levels import Level
from app.exams.models import Qualification, QualificationSource, Registration
from app.workers.models import PostPeriod, PostType
from tests import factories as f
from tests.conftest import dialect

MONTHS = [Month.of(2026, 6), Month.of(2028, 3), Month.of(2027, 1)]  # 30 days; after a 29-day February; a new year
SPAN = 480  # days of history before the month's first day
LEVELS = list(Level)
COLUMNS = [c for c in AllowanceLine.__table__.c if c.name != "id"]

# A day: an offset from the month's first day, or (often) a month boundary: the first day of a
# month k months away, the day before it or the day after it.
day = st.one_of(st.integers(-SPAN, 45), st.tuples(st.integers(-13, 1), st.sampled_from([0, -1, 1])))
post = st.tuples(day, st.one_of(st.none(), day), st.integers(0, 2), st.booleans())
qualification = st.tuples(
    st.sampled_from(LEVELS), day, st.one_of(st.none(), st.text("0123456789ABC", max_size=12)), st.booleans()
)
registration = st.tuples(st.sampled_from(LEVELS), day, day, st.booleans())
worker = st.fixed_dictionaries(
    {
        "part": st.sampled_from([None, 0, 1]),
        "posts": st.lists(post, min_size=0, max_size=4),
        "quals": st.lists(qualification, max_size=4, unique_by=lambda q: q[0]),
        "regs": st.lists(registration, max_size=5),
        "holds": st.lists(st.tuples(st.integers(0, 12), st.sampled_from(["停发核查", "", "x" * 200])), max_size=3),
    }
)
cents = st.one_of(st.integers(0, 99_999), st.sampled_from([70, 100, 10_000, 20_000, 30_000, 50_000, 32_000]))
rate = st.tuples(
    st.sampled_from(LEVELS),
    st.sampled_from([None, None, 0, 1]),
    cents,
    day,
    st.one_of(st.none(), day),
    st.booleans(),
)
history = st.fixed_dictionaries(
    {
        "month": st.sampled_from(MONTHS),
        "workers": st.lists(worker, min_size=1, max_size=3),
        "rates": st.lists(rate, max_size=8),
        "keep_default_rates": st.booleans(),
        "policies": st.lists(st.tuples(st.integers(-SPAN, 30), st.booleans()), max_size=2, unique_by=lambda p: p[0]),
        "locked": st.lists(st.integers(1, 12), max_size=3, unique=True),
    }
)


@pytest.fixture
def places(app, db):
    if dialect(app) != "postgresql":
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but the tests do not run on PostgreSQL")
        pytest.skip("the set-based allowance runs on PostgreSQL only")
    return [f.community("500103"), f.community("500103"), f.community("500104")]


@settings(
    max_examples=int(os.environ.get("ALLOWANCE_ORACLE_EXAMPLES", 100)),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(h=history)
def test_sql_and_python_give_the_same_lines(db, places, h):
    savepoint = db.session.begin_nested()
    try:
        python, sql, whole = _compute_both(db, places, h)
        assert sql == python
        assert whole == python
    finally:
        savepoint.rollback()


def _at(month, value):
    if isinstance(value, int):
        return month.first + timedelta(days=value)
    return month.shift(value[0]).first + timedelta(days=value[1])


def _span(month, start, end):  # two generated days, in order (an open end stays open)
    if end is None:
        return _at(month, start), None
    return min(_at(month, start), _at(month, end)), max(_at(month, start), _at(month, end))


def _compute_both(db, places, h):
    month = h["month"]
    districts = sorted({c.district_id for c in places})
    late = _add_rates_and_policies(db, h, districts)  # what arrives after the locked months were computed
    for spec in h["workers"]:
        late += _add_worker(db, places, districts, month, spec)
    db.session.flush()
    parts = [None, *districts]
    # Locked months, oldest first, each computed (by rules.py) before the next batch of late changes.
    for back in sorted(h["locked"], reverse=True):
        run = _run(db, month.shift(-back), parts)
        for district_id in parts:
            compute.compute_part(run.id, district_id, using="python")
        run.state = RunState.locked
        db.session.add_all(late[: len(late) // 2])
        late = late[len(late) // 2 :]
        db.session.flush()
    db.session.add_all(late)
    db.session.flush()
    run = _run(db, month, parts)
    results = []
    for using in ("python", "sql"):
        for district_id in parts:
            compute.compute_part(run.id, district_id, using=using)
        results.append(_lines(db, run.id))
    compute.compute_month(run.id)
    results.append(_lines(db, run.id))
    return results


def _add_rates_and_policies(db, h, districts) -> list:
    month, late = h["month"], []
    if not h["keep_default_rates"]:
        db.session.execute(sa.delete(AllowanceRate))
    if h["policies"]:
        db.session.execute(sa.delete(AllowancePolicy))
    for start, required in h["policies"]:
        db.session.add(AllowancePolicy(valid_from=_at(month, start), registration_required=required))
    for level, district, amount, start, end, is_late in h["rates"]:
        valid_from, valid_to = _span(month, start, end)
        row = AllowanceRate(
            level=level,
            district_id=None if district is None else districts[district],
            amount=Decimal(amount) / 100,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        late.append(row) if is_late else db.session.add(row)
    return late


def _add_worker(db, places, districts, month, spec) -> list:
    """One generated worker: posts, qualifications, registrations and holds; returns the late rows."""
    late = []
    w = f.worker(places[0], start=date(2000, 1, 1), end=date(2000, 1, 31))
    w.district_id = None if spec["part"] is None else districts[spec["part"]]
    starts = {date(2000, 1, 1)}
    for start, end, community, is_late in spec["posts"]:
        start_date, end_date = _span(month, start, end)
        if start_date in starts:
            continue
        starts.add(start_date)
        row = PostPeriod(
            worker_id=w.id,
            community_id=places[community].id,
            post_type=PostType.staff,
            start_date=start_date,
            end_date=end_date,
        )
        late.append(row) if is_late else db.session.add(row)
    for level, obtained, number, is_late in spec["quals"]:
        row = Qualification(
            worker_id=w.id,
            level=level,
            obtained_on=_at(month, obtained),
            certificate_no=number,
            source=QualificationSource.imported,
        )
        late.append(row) if is_late else db.session.add(row)
    seen = set()
    for level, start, end, is_late in spec["regs"]:
        registered_on, expires_on = _span(month, start, end)
        if (level, registered_on) in seen:
            continue
        seen.add((level, registered_on))
        row = Registration(worker_id=w.id, level=level, registered_on=registered_on, expires_on=expires_on)
        late.append(row) if is_late else db.session.add(row)
    for back, reason in dict(spec["holds"]).items():
        db.session.add(AllowanceHold(worker_id=w.id, month=month.shift(-back).first, reason=reason))
    return late


def _run(db, month, parts):
    run = AllowanceRun(month=month.first, state=RunState.draft)
    run.parts = [AllowanceRunPart(district_id=d, done=False, lines=0) for d in parts]
    db.session.add(run)
    db.session.flush()
    return run


def _lines(db, run_id):
    rows = db.session.execute(sa.select(*COLUMNS).where(AllowanceLine.run_id == run_id)).all()
    return sorted((tuple(r) for r in rows), key=repr)
