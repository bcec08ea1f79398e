"""The allowance scenario, on the 100,000-worker demo database (app/allowance/):

1. a month computed for every worker through `flask allowance compute` (in one process, district
   by district), then the same month through real Celery worker processes on Redis
   (services.start_compute + tasks.queue_compute), timed until the run's computed_at is set;
   between them the month statement in-process (compute.compute_month, median of 5) with its
   EXPLAIN (ANALYZE, BUFFERS) and foreign-key trigger times (bench/allowance_month.py);
2. the month submitted, approved and locked by two payroll officers, then exported as XLSX
   and CSV through `flask allowance export` (wall time, peak RSS);
3. the arrears pass: 12 consecutive locked months (setup, in-process, untimed), then the 13th
   month computed with nothing changed, and again after a higher city-wide assistant rate in
   force from 12 months back (`flask allowance set-rate`), so that most paid assistants have
   arrears for every locked month; then that 13th month in-process (median of 5) with its
   EXPLAIN (ANALYZE, BUFFERS), as for the month;
4. EXPLAIN ANALYZE of the per-part loads (posts, qualifications, registrations, holds, what was
   paid) of the biggest district, captured as compute_part sends them.

Setup starts from a clean slate: every run, line, hold and the rate rows the migration does not
ship are deleted (with the notices the runs sent), so a second bench run measures the same.
"""

import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bench import allowance_arrears, allowance_explain, allowance_month
from bench.common import (
    bench_celery_config,
    ensure_demo_database,
    ensure_worker_accounts,
    make_app,
    purge_queue,
    start_workers,
    stop_workers,
    vacuum_analyze,
    wait_ready,
    wait_until,
    worker_env,
)
from bench.scenario import DEMO_PASSWORD, FLASK, PROJECT
from bench.timing import BenchError, Result, checked, run_child

PAYROLL = ("payroll1", "payroll2")  # computes and submits; approves and locks
SHIPPED_RATES = {"local": "100.00", "assistant": "200.00", "intermediate": "300.00", "senior": "500.00"}
SHIPPED_FROM = date(2000, 1, 1)
ALLOWANCE_TABLES = ("allowance_line", "allowance_run_part", "allowance_run", "allowance_hold", "allowance_rate")


@dataclass
class AllowanceOptions:
    url: str
    workers: int = 100_000
    month: str | None = None  # YYYY-MM; default the month before the current one (Asia/Shanghai)
    celery_workers: int = 2
    arrears_rate: str = "260.00"  # the new city-wide assistant rate (the shipped one is 200.00)
    vacuum: bool = True


@dataclass
class AllowanceFacts:
    notes: list[str] = field(default_factory=list)
    month: str = ""
    runs: dict = field(default_factory=dict)
    exports: dict = field(default_factory=dict)
    arrears: dict = field(default_factory=dict)
    explain: dict = field(default_factory=dict)


def run(opts: AllowanceOptions, workdir: Path | None = None) -> tuple[list[Result], AllowanceFacts]:
    if workdir is not None:
        return _run(opts, workdir)
    with tempfile.TemporaryDirectory(prefix="socialwork-bench-allowance-") as tmp:
        return _run(opts, Path(tmp))


def _run(opts: AllowanceOptions, workdir: Path) -> tuple[list[Result], AllowanceFacts]:
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.allowance.rules import Month
    from app.core.timeutil import local_today

    facts = AllowanceFacts()
    workdir.mkdir(parents=True, exist_ok=True)
    env, results = ensure_demo_database(opts.url, opts.workers, workdir, facts.notes)
    month = Month.parse(opts.month) if opts.month else Month(local_today().replace(day=1)).shift(-1)
    facts.month = str(month)
    app = make_app(opts.url, CELERY=bench_celery_config())
    with app.app_context():
        # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
        from app.extensions import db

        users = _payroll_users()
        reset(facts)
        created, accounts = ensure_worker_accounts(db.session.connection(), DEMO_PASSWORD)
        db.session.commit()
        facts.notes.append(
            f"setup: {accounts:,} worker accounts ({created:,} created set-based), so that each lock tells the paid "
            "workers (allowance statements), as in production"
        )
        db.session.remove()
        _vacuum(opts, facts)

        results += compute_month(env, month, facts)
        results += month_statement(opts, month, facts, "month")
        results += compute_with_celery(opts, env, workdir, month, users, facts)
        results += lock_and_export(opts, env, workdir, month, facts)
        results += allowance_arrears.arrears(opts, env, month, users, facts)
        results += month_statement(opts, month.shift(1), facts, "arrears")
        results += allowance_explain.explain_part(month.shift(1), facts)
        db.session.remove()
    return results, facts


# ---- setup ----


def _payroll_users() -> dict[str, int]:
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.accounts.models import User
    from app.extensions import db

    found = dict(db.session.execute(sa.select(User.username, User.id).where(User.username.in_(PAYROLL))).all())
    if set(found) != set(PAYROLL):
        raise BenchError(f"the demo payroll users {', '.join(PAYROLL)} are missing (seed-demo makes them)")
    return found


def reset(facts: AllowanceFacts) -> None:
    """No run, line or hold; only the rate rows the migration ships; no notice a run sent."""
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.extensions import db

    counts = {
        t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
        for t in ("allowance_run", "allowance_line", "allowance_hold")
    }
    db.session.execute(
        # CASCADE: the payment batches (and their payments and returns) made from the demo's locked months go too
        sa.text(
            "TRUNCATE allowance_line, allowance_run_event, allowance_run_part, allowance_run, allowance_hold CASCADE"
        )
    )
    extra = 0
    for row in db.session.execute(
        sa.text("SELECT id, level, district_id, amount, valid_from, valid_to FROM allowance_rate")
    ):
        shipped = (
            row.district_id is None
            and row.valid_to is None
            and row.valid_from == SHIPPED_FROM
            and SHIPPED_RATES.get(row.level) == f"{row.amount:.2f}"
        )
        if not shipped:
            db.session.execute(sa.text("DELETE FROM allowance_rate WHERE id = :id"), {"id": row.id})
            extra += 1
    notices = db.session.execute(
        sa.text("DELETE FROM notice WHERE kind IN ('run_submitted', 'allowance_statement')")
    ).rowcount
    db.session.commit()
    if any(counts.values()) or extra or notices:
        facts.notes.append(
            f"setup: deleted {counts['allowance_run']} runs, {counts['allowance_line']:,} lines, "
            f"{counts['allowance_hold']} holds, {extra} rate rows not shipped by the migration "
            f"and {notices:,} notices of runs (an earlier bench run)"
        )


def _vacuum(opts: AllowanceOptions, facts: AllowanceFacts, note: bool = True) -> None:
    if opts.vacuum:
        vacuum_analyze(opts.url, (*ALLOWANCE_TABLES, "worker", "post_period", "qualification", "registration"))
        if note and not any(n.startswith("VACUUM ANALYZE") for n in facts.notes):
            facts.notes.append(
                "VACUUM ANALYZE of the allowance, worker, post, qualification and registration tables "
                "before each timed compute and export (the server runs with autovacuum off)"
            )


def _run_summary(run_id: int) -> dict:
    """Lines, lines with an amount and the total of a run, and its arrears."""
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.extensions import db

    row = db.session.execute(
        sa.text(
            "SELECT count(*) AS lines, count(*) FILTER (WHERE amount <> 0) AS paid,"
            " coalesce(sum(amount), 0) AS total,"
            " count(*) FILTER (WHERE kind = 'arrears') AS arrears_lines,"
            " count(DISTINCT worker_id) FILTER (WHERE kind = 'arrears') AS arrears_workers,"
            " coalesce(sum(amount) FILTER (WHERE kind = 'arrears'), 0) AS arrears_total"
            " FROM allowance_line WHERE run_id = :r"
        ),
        {"r": run_id},
    ).one()
    return {
        "lines": row.lines,
        "paid_lines": row.paid,
        "total": str(row.total),
        "arrears_lines": row.arrears_lines,
        "arrears_workers": row.arrears_workers,
        "arrears_total": str(row.arrears_total),
    }


def _cli(env: dict, *args: str, what: str | None = None):
    return checked(run_child([FLASK, "allowance", *args], env, str(PROJECT)), what or f"flask allowance {args[0]}")


# ---- 1. a month for every worker ----


def compute_month(env: dict, month, facts: AllowanceFacts) -> list[Result]:
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.extensions import db

    done = _cli(env, "compute", str(month), "--as", PAYROLL[0])
    run_id, _state, finished = allowance_explain.run_of(month)
    if not finished:
        raise BenchError(f"flask allowance compute {month} left the run without computed_at")
    summary = _run_summary(run_id)
    db.session.rollback()
    facts.runs[str(month)] = {"cli": summary, "cli_output": done.output.strip().splitlines()[-1]}
    workers = db.session.execute(sa.text("SELECT count(*) FROM worker")).scalar()
    db.session.rollback()
    return [
        Result(
            f"flask allowance compute {month}, {workers:,} workers: wall time",
            done.seconds,
            "s",
            10,
            "one process, district by district (38 districts and the workers without a post); "
            "the run did not exist: nothing to delete",
        ),
        Result("compute: peak RSS", done.peak_rss_mib, "MiB"),
        Result(f"{month}: lines", summary["lines"], "lines"),
        Result(f"{month}: lines with an amount", summary["paid_lines"], "lines"),
        Result(f"{month}: total", float(summary["total"]), "CNY"),
    ]


def compute_with_celery(
    opts: AllowanceOptions, env: dict, workdir: Path, month, users: dict, facts: AllowanceFacts
) -> list[Result]:
    """The same month through Celery: start_compute + queue_compute from this process (its Celery
    points at the bench Redis), computed by N `--pool=solo` worker processes."""
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.allowance import services, tasks
    from app.extensions import db

    run_id, _state, _done = allowance_explain.run_of(month)
    deleted = db.session.execute(sa.text("DELETE FROM allowance_line WHERE run_id = :r"), {"r": run_id}).rowcount
    db.session.commit()
    db.session.remove()
    _vacuum(opts, facts)
    purge_queue()
    procs = start_workers(worker_env(env), opts.celery_workers, "allowance", workdir)
    probe = sa.create_engine(opts.url)
    try:
        wait_ready(procs, "allowance", workdir)
        start = time.perf_counter()
        run, districts = services.start_compute(month, users[PAYROLL[0]])
        db.session.commit()
        tasks.queue_compute(run.id, districts)
        db.session.remove()

        def computed() -> bool:
            with probe.connect() as conn:
                return conn.execute(
                    sa.text("SELECT computed_at IS NOT NULL FROM allowance_run WHERE id = :r"), {"r": run_id}
                ).scalar()

        if not wait_until(computed, timeout=600):
            raise BenchError(f"the Celery workers did not finish {month} within 600 s")
        seconds = time.perf_counter() - start
    finally:
        stop_workers(procs)
        probe.dispose()
    summary = _run_summary(run_id)
    db.session.rollback()
    facts.runs[str(month)]["celery"] = summary
    facts.runs[str(month)]["celery_parts"] = len(districts)
    same = summary == facts.runs[str(month)]["cli"]
    if not same:
        raise BenchError(
            f"the Celery computation of {month} differs from the one in one process: "
            f"{summary} vs {facts.runs[str(month)]['cli']}"
        )
    return [
        Result(
            f"Celery compute {month}, {opts.celery_workers} worker processes: until computed_at",
            seconds,
            "s",
            10,
            f"start_compute + queue_compute ({len(districts)} parts) from this process to the moment the last part "
            f"sets computed_at; the run's {deleted:,} lines were deleted first (untimed) so the work is the same "
            "as in one process; lines, paid lines and total equal the one-process result",
        ),
    ]


def month_statement(opts: AllowanceOptions, month, facts: AllowanceFacts, label: str) -> list[Result]:
    """The month's draft computed again in this process (the set-based statement, interpreter
    start-up excluded), and its EXPLAIN (ANALYZE, BUFFERS); `label` "arrears": the 13th month,
    after 12 locked months and a rate change."""
    found = allowance_month.measure(opts.url, month, repeat=5, vacuum=opts.vacuum)
    facts.explain.setdefault("month_statement", {})[label] = dict(found)
    what = f"{month}, 12 locked months and a rate change" if label == "arrears" else str(month)
    return allowance_month.results(what, found, 4.0 if label == "arrears" else 1.0)


# ---- 2. lock and export ----


def lock_and_export(opts: AllowanceOptions, env: dict, workdir: Path, month, facts: AllowanceFacts) -> list[Result]:
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.extensions import db

    results = []
    steps = (("submit", PAYROLL[0]), ("approve", PAYROLL[1]), ("lock", PAYROLL[1]))
    for step, user in steps:
        done = _cli(env, step, str(month), "--as", user)
        results.append(Result(f"flask allowance {step} {month} --as {user}: wall time", done.seconds, "s"))
    run_id, state, _done = allowance_explain.run_of(month)
    if state != "locked":
        raise BenchError(f"{month} is {state} after submit, approve and lock")
    statements = db.session.execute(
        sa.text("SELECT count(*) FROM notice WHERE kind = 'allowance_statement' AND target = :t"),
        {"t": f"run:{run_id}"},
    ).scalar()
    db.session.rollback()
    results[-1].note = f"the lock tells each paid worker who has an account: {statements:,} statements"
    _vacuum(opts, facts)
    paid = facts.runs[str(month)]["cli"]["paid_lines"]
    for fmt, target_s, target_mib in (("xlsx", 20, 300), ("csv", 20, 300)):
        path = workdir / f"allowance-{month}.{fmt}"
        done = _cli(env, "export", str(month), "--format", fmt, "-o", str(path), "--as", PAYROLL[0])
        size = path.stat().st_size
        rows = _csv_rows(path) if fmt == "csv" else None
        if rows is not None and rows != paid:
            raise BenchError(f"the CSV export has {rows} lines, not the {paid} lines with an amount")
        facts.exports[fmt] = {"bytes": size, "rows": rows if rows is not None else paid, "seconds": done.seconds}
        label = "XLSX (lines, street and district subtotals)" if fmt == "xlsx" else "CSV (lines only)"
        results.append(
            Result(
                f"flask allowance export {month} --format {fmt}: wall time",
                done.seconds,
                "s",
                target_s,
                f"{label}: {paid:,} lines with an amount, {size / 1024 / 1024:.1f} MiB",
            )
        )
        results.append(Result(f"export {fmt}: peak RSS", done.peak_rss_mib, "MiB", target_mib))
    return results


def _csv_rows(path: Path) -> int:
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    import csv

    with path.open(encoding="utf-8-sig", newline="") as file:
        return sum(1 for _ in csv.reader(file)) - 1


# ---- 3. arrears over 12 locked months ----
