"""The oracle: on PostgreSQL the allowance is one set-based statement (app/allowance/sql_month.py);
rules.py in Python is the readable statement of the same rules. For random histories (posts with
transfers, gaps and overlaps; qualifications at every level; registrations that lapse, renew and
overlap; dated city-wide and district rates; policy switches; holds; locked months computed
before late changes arrive) both give the same lines for a month and its arrears, every column.

CI runs thousands of examples (ALLOWANCE_ORACLE_EXAMPLES, set by `make test`); a plain run of
this file runs 100. A history is written with one multi-row INSERT per table (no ORM objects, no
services: what is under test is the computing, not how the rows got there), so an example costs
about what the two implementations cost. The test writes how many examples ran, and in how long,
to the terminal (stderr, outside pytest's capture: it shows under xdist and without -rP)."""

import os
import sys
import time
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
from app.core.identity import make_id_number
from app.exams.levels import Level
from app.exams.models import Qualification, QualificationSource, Registration
from app.workers.models import PostPeriod, PostType, Worker
from tests import factories as f
from tests.conftest import dialect

EXAMPLES = int(os.environ.get("ALLOWANCE_ORACLE_EXAMPLES", 100))
MONTHS = [Month.of(2026, 6), Month.of(2028, 3), Month.of(2027, 1)]  # 30 days; after a 29-day February; a new year
SPAN = 480  # days of history before the month's first day
LEVELS = list(Level)
COLUMNS = [c for c in AllowanceLine.__table__.c if c.name != "id"]
OLD_POST = (date(2000, 1, 1), date(2000, 1, 31))  # every worker's first post, long before any month computed

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


_TALLY = {"examples": 0}


@pytest.fixture
def tally(capsys):
    """How many examples ran and how long they took, on the terminal (the CI log)."""
    _TALLY["examples"], _TALLY["first_failure"] = 0, None
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    ran, failed = _TALLY["examples"], _TALLY.get("first_failure")
    shrunk = f"; the first failure at example {failed}, then shrinking" if failed else ""
    with capsys.disabled():
        sys.stderr.write(
            f"\n[allowance oracle] {ran} examples (one history each; asked for {EXAMPLES}{shrunk}) in {seconds:.1f} s, "
            f"{1000 * seconds / max(ran, 1):.0f} ms an example\n"
        )


# The whole budget goes to new examples: no example database (derandomize), no targeting.
# Shrinking stays: it runs only after a failure, and it is what makes a failure readable.
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(h=history)
def test_sql_and_python_give_the_same_lines(db, places, tally, h):
    _TALLY["examples"] += 1
    savepoint = db.session.begin_nested()
    try:
        python, sql, whole = _compute_both(db, places, h)
        if _TALLY["first_failure"] is None and not sql == python == whole:
            _TALLY["first_failure"] = _TALLY["examples"]
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
    late += _add_workers(db, places, districts, h)
    parts = [None, *districts]  # every run has the three parts, as start_compute makes them
    # The parts computed one by one: those that hold a worker. A part without one gets no line from
    # either implementation; the whole month (compute_month, below) runs every part's filter at once.
    held = {None if w["part"] is None else districts[w["part"]] for w in h["workers"]}
    busy = [p for p in parts if p in held]
    # Locked months, oldest first, each computed (by rules.py) before the next batch of late changes.
    for back in sorted(h["locked"], reverse=True):
        run_id = _run(db, month.shift(-back), parts)
        for district_id in busy:
            compute.compute_part(run_id, district_id, using="python")
        db.session.execute(sa.update(AllowanceRun).where(AllowanceRun.id == run_id).values(state=RunState.locked))
        _insert(db, late[: len(late) // 2])
        late = late[len(late) // 2 :]
    _insert(db, late)
    run_id = _run(db, month, parts)
    results = []
    for using in ("python", "sql"):
        for district_id in busy:
            compute.compute_part(run_id, district_id, using=using)
        results.append(_lines(db, run_id))
    compute.compute_month(run_id)
    results.append(_lines(db, run_id))
    return results


def _insert(db, rows) -> None:
    """(table, row) pairs: one multi-row INSERT per table, rows in the given order (so ids too:
    the rate rule breaks a tie by id)."""
    tables = list(dict.fromkeys(table for table, _row in rows))
    for table in tables:
        db.session.execute(sa.insert(table), [row for t, row in rows if t is table])


def _add_rates_and_policies(db, h, districts) -> list:
    month, now, late = h["month"], [], []
    if not h["keep_default_rates"]:
        db.session.execute(sa.delete(AllowanceRate))
    if h["policies"]:
        db.session.execute(sa.delete(AllowancePolicy))
    for start, required in h["policies"]:
        now.append((AllowancePolicy.__table__, {"valid_from": _at(month, start), "registration_required": required}))
    for level, district, amount, start, end, is_late in h["rates"]:
        valid_from, valid_to = _span(month, start, end)
        row = {
            "level": level,
            "district_id": None if district is None else districts[district],
            "amount": Decimal(amount) / 100,
            "valid_from": valid_from,
            "valid_to": valid_to,
        }
        (late if is_late else now).append((AllowanceRate.__table__, row))
    _insert(db, now)
    return late


def _add_workers(db, places, districts, h) -> list:
    """The generated workers (each with a first post in 2000), then their posts, qualifications,
    registrations and holds; returns the late rows."""
    specs = h["workers"]
    ids = db.session.scalars(
        sa.insert(Worker.__table__).returning(Worker.__table__.c.id, sort_by_parameter_order=True),
        [
            {
                "id_number": make_id_number("500103", date(1990, 5, 17), i),
                "name": "张伟",
                "sex": "F",
                "birth_date": date(1990, 5, 17),
                "district_id": None if spec["part"] is None else districts[spec["part"]],
            }
            for i, spec in enumerate(specs)
        ],
    ).all()
    now, late = [], []
    for worker_id, spec in zip(ids, specs, strict=True):
        for table, row, is_late in _worker_rows(h["month"], places, worker_id, spec):
            (late if is_late else now).append((table, row))
    _insert(db, now)
    return late


def _worker_rows(month, places, worker_id, spec):
    """One generated worker's rows: (table, row, arrives late)."""
    first = {"community_id": places[0].id, "start_date": OLD_POST[0], "end_date": OLD_POST[1]}
    yield PostPeriod.__table__, {"worker_id": worker_id, "post_type": PostType.staff, **first}, False
    starts = {OLD_POST[0]}
    for start, end, community, is_late in spec["posts"]:
        start_date, end_date = _span(month, start, end)
        if start_date in starts:
            continue
        starts.add(start_date)
        row = {"community_id": places[community].id, "start_date": start_date, "end_date": end_date}
        yield PostPeriod.__table__, {"worker_id": worker_id, "post_type": PostType.staff, **row}, is_late
    for level, obtained, number, is_late in spec["quals"]:
        row = {"level": level, "obtained_on": _at(month, obtained), "certificate_no": number}
        yield Qualification.__table__, {"worker_id": worker_id, "source": QualificationSource.imported, **row}, is_late
    seen = set()
    for level, start, end, is_late in spec["regs"]:
        registered_on, expires_on = _span(month, start, end)
        if (level, registered_on) in seen:
            continue
        seen.add((level, registered_on))
        row = {"worker_id": worker_id, "level": level, "registered_on": registered_on, "expires_on": expires_on}
        yield Registration.__table__, row, is_late
    for back, reason in dict(spec["holds"]).items():
        row = {"worker_id": worker_id, "month": month.shift(-back).first, "reason": reason}
        yield AllowanceHold.__table__, row, False


def _run(db, month, parts) -> int:
    run_id = db.session.scalar(
        sa.insert(AllowanceRun).values(month=month.first, state=RunState.draft).returning(AllowanceRun.id)
    )
    rows = [{"run_id": run_id, "district_id": d, "done": False, "lines": 0} for d in parts]
    db.session.execute(sa.insert(AllowanceRunPart), rows)
    return run_id


def _lines(db, run_id):
    rows = db.session.execute(sa.select(*COLUMNS).where(AllowanceLine.run_id == run_id)).all()
    return sorted((tuple(r) for r in rows), key=repr)
