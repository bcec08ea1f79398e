"""The month statement in-process (issue #12): compute.compute_month timed on a draft run,
interpreter start-up excluded (median of N, VACUUM of the line table before each, untimed), and
EXPLAIN (ANALYZE, BUFFERS) of the same statement (sql_month.explain, rolled back).

bench/allowance.py calls it for the month and for the 13th month after 12 locked months and a
rate change; on its own, against a seeded database (it computes a draft of MONTH, and with
--arrears first locks the 12 months before and raises the assistant rate: a bench database only):

    DATABASE_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/socialwork_bench APP_CONFIG=development \\
        .venv/bin/python -m bench.allowance_month 2026-11 [--repeat 5] [--arrears] [--plan]
"""

import argparse
import os
import re
import statistics
import time
from decimal import Decimal

import sqlalchemy as sa

from bench.timing import Result

TRIGGER = re.compile(r"Trigger for constraint (\S+): time=([\d.]+) calls=(\d+)")


def measure(url: str | None, month, repeat: int = 5, vacuum: bool = True) -> dict:
    """compute_month of `month`'s draft run `repeat` times (each committed), then its plan.
    Returns the lines, the seconds of each run, and the plan with its execution and trigger times.
    `url` None: VACUUM through the app's engine; `vacuum` False: none."""
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.allowance import compute, services, sql_month
    from app.extensions import db

    run, _parts = services.start_compute(month, None)
    db.session.commit()
    seconds, cpu, lines = [], [], 0
    for _ in range(repeat):
        if vacuum:
            _vacuum(url)
        # the session's connection until the commit: after one, the pool may hand it another backend
        backend = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        started, cpu_before = time.perf_counter(), _cpu(backend) + time.process_time()
        lines = compute.compute_month(run.id)
        db.session.commit()
        seconds.append(time.perf_counter() - started)
        cpu.append(_cpu(backend) + time.process_time() - cpu_before)
    jobs = _parallel(url, run.id, repeat, vacuum)
    if vacuum:
        _vacuum(url)
    plan = sql_month.explain(run.id, month, compute._locked_months(month))
    db.session.rollback()
    execution = (re.findall(r"Execution Time: ([\d.]+) ms", plan) or [None])[-1]
    return {
        "month": str(month),
        "lines": lines,
        "arrears_lines": db.session.scalar(
            sa.text("SELECT count(*) FROM allowance_line WHERE run_id = :r AND kind = 'arrears'"), {"r": run.id}
        ),
        "seconds": [round(s, 3) for s in seconds],
        "median_s": round(statistics.median(seconds), 3),
        "cpu_s": [round(s, 3) for s in cpu],
        "median_cpu_s": round(statistics.median(cpu), 3),
        "jobs": JOBS,
        "jobs_seconds": [round(s, 3) for s in jobs],
        "jobs_median_s": round(statistics.median(jobs), 3),
        "execution_ms": float(execution) if execution else None,
        "triggers_ms": {name: float(ms) for name, ms, _calls in TRIGGER.findall(plan)},
        "plan": plan,
    }


def results(label: str, found: dict, target_s: float) -> list[Result]:
    triggers = ", ".join(
        f"{n.removeprefix('fk_allowance_line_')} {ms:.0f} ms" for n, ms in found["triggers_ms"].items()
    )
    return [
        Result(
            f"{label}: compute_month in-process, median of {len(found['seconds'])}",
            found["median_s"],
            "s",
            target_s,
            f"{found['lines']:,} lines ({found['arrears_lines']:,} arrears), one DELETE + one INSERT … SELECT; "
            f"runs {found['seconds']}",
        ),
        Result(
            f"{label}: compute on {found['jobs']} connections at once (--jobs {found['jobs']}), median of "
            f"{len(found['jobs_seconds'])}",
            found["jobs_median_s"],
            "s",
            target_s,
            f"the districts in {found['jobs']} groups of about as many workers, each one statement on its own "
            f"connection (parallel.py); same lines; runs {found['jobs_seconds']}",
        ),
        Result(
            f"{label}: CPU time of the database backend and this process, median",
            found["median_cpu_s"],
            "s",
            target_s,
            f"less dependent on the machine's load than wall time; runs {found['cpu_s']}",
        ),
        Result(
            f"{label}: EXPLAIN (ANALYZE, BUFFERS) of the month statement",
            found["execution_ms"],
            "ms",
            note=f"foreign-key triggers: {triggers or 'none'}; the plan is in the JSON (explain.month_statement)",
        ),
    ]


JOBS = 2  # connections computing groups of districts at once (`flask allowance compute --jobs 2`)


def _parallel(url: str | None, run_id: int, repeat: int, vacuum: bool) -> list[float]:
    """parallel.compute_month of the same draft on JOBS connections, `repeat` times: wall seconds."""
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.allowance import parallel
    from app.extensions import db

    seconds = []
    for _ in range(repeat):
        if vacuum:
            _vacuum(url)
        started = time.perf_counter()
        parallel.compute_month(run_id, JOBS)
        db.session.commit()
        seconds.append(time.perf_counter() - started)
    return seconds


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a local PostgreSQL backend (0 when it is not on this machine)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _vacuum(url: str | None) -> None:
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.extensions import db

    engine = sa.create_engine(url) if url else db.engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE allowance_line"))
    if url:
        engine.dispose()


def lock_twelve_and_raise(month) -> float:
    """The 12 months before `month` computed and locked (by the SQL), then the city-wide assistant
    rate raised to 260.00 from 12 months back; returns the seconds it took."""
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.allowance import compute, services
    from app.allowance.models import RunState
    from app.exams.levels import Level
    from app.extensions import db

    started = time.perf_counter()
    for back in range(12, 0, -1):
        locked, _parts = services.start_compute(month.shift(-back), None)
        compute.compute_month(locked.id)
        locked.state = RunState.locked
        db.session.commit()
    services.set_rate(Level.assistant, Decimal("260.00"), month.shift(-12).first)
    db.session.commit()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("month")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--arrears", action="store_true", help="first lock the 12 months before and raise a rate")
    parser.add_argument("--plan", action="store_true", help="print the whole plan")
    args = parser.parse_args()

    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app import create_app
    from app.allowance.rules import Month

    app = create_app("development")
    month = Month.parse(args.month)
    with app.app_context():
        if args.arrears:
            print(f"setup: 12 locked months and a new assistant rate in {lock_twelve_and_raise(month):.1f} s")
        found = measure(None, month, args.repeat)
        for r in results(str(month), found, 4.0 if args.arrears else 1.0):
            print(f"{r.measure}: {r.value} {r.unit}  ({r.note})")
        if args.plan:
            print(found["plan"])


if __name__ == "__main__":
    main()
