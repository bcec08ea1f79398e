"""`python -m bench.reports`: the department's reports (issue #15) on a 100,000-worker database.

Median of 5 (after one unmeasured run), in this process, signed in as the admin (city-wide):
- the term report for the city: the latest term beside the one before (queries.term_report);
- the pay-floor report for a month: the latest month with director pay, with the yearly trend
  (pay_floor_queries.pay_floor_report, as its page reads it), and its page GET /reports/pay-floor;
- the reports page: GET /reports/ (the latest term's report, table and chart).

Targets (issue #15): term report < 1 s, pay-floor report < 1 s, reports page < 300 ms.

The database is read, never written, unless --fill: then, when it has no director pay, every
director (head post of an urban community) gets a pay record for each of the last 12 months
(one in twenty without one, a few below the floor) and each district an income for the years
the floor needs, in two set-based INSERTs, and the database is ANALYZEd (a copy made from a
template right after `flask db upgrade` has no statistics for the new columns). Use --fill on a
copy only, e.g.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE socialwork_bench_reports TEMPLATE socialwork_bench_allow"
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/socialwork_bench_reports flask db upgrade
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/socialwork_bench_reports SECRET_KEY=bench \\
        .venv/bin/python -m bench.reports --fill
"""

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa

from bench.timing import BenchError, Result

RUNS = 5
TERM_TARGET_MS = 1000
PAY_FLOOR_TARGET_MS = 1000
PAGE_TARGET_MS = 300

FILL_PAY = """
INSERT INTO director_pay (worker_id, month, pay, created_at, updated_at)
SELECT DISTINCT p.worker_id, m.month::date,
       CASE WHEN p.worker_id % 25 = 0 THEN 3200.00 ELSE 3800 + (p.worker_id % 1200) END, now(), now()
FROM post_period p
JOIN community c ON c.id = p.community_id
CROSS JOIN generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 month') AS m(month)
WHERE p.post_type = 'head' AND c.community_type = 'urban' AND p.worker_id % 20 <> 0
  AND p.start_date < m.month + interval '1 month' AND (p.end_date IS NULL OR p.end_date >= m.month)
ON CONFLICT DO NOTHING
"""

FILL_INCOME = """
INSERT INTO district_income (district_id, year, income, created_at, updated_at)
SELECT d.id, y, 36000 + (d.id % 9) * 1000, now(), now()
FROM district d CROSS JOIN generate_series(:first_year, :last_year) AS y
ON CONFLICT DO NOTHING
"""


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    """One unmeasured call (caches, the first connection), then `runs` calls: their median in ms."""
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def fill_pay_floor(db, today: date) -> str:
    """Director pay for the 12 months before this one and district incomes, when none is held."""
    from app.core.timeutil import add_months  # the app is imported once the database is known

    if db.session.scalar(sa.text("SELECT count(*) FROM director_pay")):
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        return "director pay already held: nothing filled (ANALYZE run)"
    last = add_months(today.replace(day=1), -1)
    first = add_months(last, -11)
    pays = db.session.execute(sa.text(FILL_PAY), {"first": first, "last": last}).rowcount
    incomes = db.session.execute(
        sa.text(FILL_INCOME), {"first_year": first.year - 1, "last_year": last.year - 1}
    ).rowcount
    db.session.commit()
    # The planner's statistics of the copy: a migration's new column (community_type) has none
    # until ANALYZE, and without them the directors' query ran nested loops (146 ms → 78 ms).
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return f"filled {pays:,} pay records ({first:%Y-%m}..{last:%Y-%m}) and {incomes:,} district incomes"


def measure(app, fill: bool) -> tuple[list[Result], list[str]]:
    # The app's modules, once create_app has read the database's URL.
    from app.accounts.models import User
    from app.core.timeutil import local_today
    from app.extensions import db
    from app.reports import pay_floor_queries, queries
    from bench.scenario import _logged_in

    notes = []
    with app.app_context():
        if fill:
            notes.append(fill_pay_floor(db, local_today()))
        admin = db.session.scalar(sa.select(User).where(User.role == "admin").order_by(User.id).limit(1))
        if admin is None:
            raise BenchError("no admin user: seed the database with flask seed-demo first")
        workers = db.session.scalar(sa.text("SELECT count(*) FROM worker"))
        terms = queries.terms()
        if not terms:
            raise BenchError("no term (届): add one with flask reports add-term")
        term = terms[0]
        month = pay_floor_queries.chosen_month(admin, None)
        pays = db.session.scalar(sa.text("SELECT count(*) FROM director_pay"))
        notes.append(
            f"{workers:,} workers; term {term.name} ({term.elected_on}); month {month:%Y-%m}, {pays:,} pay records"
        )
        report = queries.term_report(admin, term)
        notes.append(f"term report: {report.total.counts.members:,} members in {len(report.rows)} districts")
        floor = pay_floor_queries.pay_floor_report(admin, month)
        notes.append(
            f"pay floor: {len(floor.lines):,} directors, {len(floor.below):,} below, {len(floor.missing):,} without pay"
        )
        term_ms = median_ms(lambda: queries.term_report(admin, term))
        floor_ms = median_ms(lambda: pay_floor_queries.pay_floor_report(admin, month))
        db.session.remove()
        username = admin.username
    client = _logged_in(app, username)

    def page(url: str) -> Callable[[], None]:
        def fetch() -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise BenchError(f"GET {url} answered {response.status_code}")

        return fetch

    return [
        Result("term report, city-wide (median of 5)", term_ms, "ms", TERM_TARGET_MS),
        Result("pay-floor report, a month (median of 5)", floor_ms, "ms", PAY_FLOOR_TARGET_MS),
        Result(
            "pay-floor page GET /reports/pay-floor (median of 5)",
            median_ms(page(f"/reports/pay-floor?month={month:%Y-%m}")),
            "ms",
            PAY_FLOOR_TARGET_MS,
        ),
        Result("reports page GET /reports/ (median of 5)", median_ms(page("/reports/")), "ms", PAGE_TARGET_MS),
    ], notes


def print_results(results: list[Result], notes: list[str]) -> None:
    width = max(len(r.measure) for r in results)
    print(f"{'measure'.ljust(width)}  {'median':>10}  {'target':>9}  result")
    for r in results:
        verdict = {True: "pass", False: "FAIL", None: ""}[r.passed]
        print(f"{r.measure.ljust(width)}  {r.value:>7.0f} ms  {'< ' + format(r.target, 'g'):>6} ms  {verdict}")
    for note in notes:
        print(f"Note: {note}")


def run(url: str, fill: bool = False) -> tuple[list[Result], list[str]]:
    """The measures on the database at `url` (for bench/__main__.py's scenarios)."""
    from bench.common import make_app  # the app, against the bench database

    return measure(make_app(url, WTF_CSRF_ENABLED=False), fill)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL"))
    parser.add_argument("--fill", action="store_true", help="add 12 months of director pay when none is held")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("give --url or set DATABASE_URL (a copy of a 100,000-worker bench database)")
    try:
        results, notes = run(args.url, args.fill)
    except BenchError as exc:
        print(f"bench.reports: {exc}")
        return 1
    print_results(results, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
