"""A month computed both ways on a seeded database (issue #12), in-process, interpreter start-up
excluded: rules.py in Python part by part (the path before), the set-based SQL part by part, and
the SQL for the whole month in one statement; then the lines of each compared, every column.

    DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/socialwork_bench APP_CONFIG=development \
        .venv/bin/python -m bench.allowance_compare 2026-11 --repeat 3 [--explain] [--arrears]

--arrears changes the database (12 locked runs, a new rate): run it on a bench database only.
"""

import argparse
import statistics
import time
from decimal import Decimal

import sqlalchemy as sa


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("month")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the month")
    parser.add_argument(
        "--arrears",
        action="store_true",
        help="first lock the 12 months before (computed by the SQL) and raise the city-wide assistant rate to "
        "260.00 from 12 months back, so most paid assistants have arrears for every locked month",
    )
    args = parser.parse_args()

    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app import create_app
    from app.allowance import compute, services, sql_month
    from app.allowance.models import AllowanceLine, AllowanceRun, RunState
    from app.allowance.rules import Month
    from app.exams.levels import Level
    from app.extensions import db

    app = create_app("development")
    month = Month.parse(args.month)
    with app.app_context():
        if args.arrears:
            started = time.perf_counter()
            for back in range(12, 0, -1):
                locked, _parts = services.start_compute(month.shift(-back), None)
                compute.compute_month(locked.id)
                locked.state = RunState.locked
                db.session.commit()
            services.set_rate(Level.assistant, Decimal("260.00"), month.shift(-12).first)
            db.session.commit()
            print(f"setup: 12 locked months and a new assistant rate in {time.perf_counter() - started:.1f} s")
        run, parts = services.start_compute(month, None)
        db.session.commit()
        columns = [c for c in AllowanceLine.__table__.c if c.name != "id"]

        ways = {
            "python, part by part": lambda: sum(compute.compute_part(run.id, d, using="python") for d in parts),
            "sql, part by part": lambda: sum(compute.compute_part(run.id, d, using="sql") for d in parts),
            "sql, whole month": lambda: compute.compute_month(run.id),
        }
        seen = {}
        for name, way in ways.items():
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                count = way()
                db.session.commit()
                times.append(time.perf_counter() - started)
            seen[name] = [
                tuple(map(str, r))
                for r in db.session.execute(sa.select(*columns).where(AllowanceLine.run_id == run.id)).all()
            ]
            seen[name].sort()
            print(
                f"{name:22} {count:7,} lines  median {statistics.median(times):6.2f} s",
                f"runs {[round(t, 2) for t in times]}",
            )
        first = next(iter(seen.values()))
        for name, rows in seen.items():
            print(f"{name:22} identical to the python lines: {rows == first}")
        if args.explain:
            locked = compute._locked_months(month)
            print(sql_month.explain(run.id, month, locked))
            db.session.rollback()
        state = db.session.scalar(sa.select(AllowanceRun.state).where(AllowanceRun.id == run.id))
        assert state == RunState.draft


if __name__ == "__main__":
    main()
