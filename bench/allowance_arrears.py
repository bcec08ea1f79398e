"""The allowance bench's arrears (bench/allowance.py): the 12 months before the bench's month
computed, submitted, approved and locked in-process, a rate changed, then the 13th month computed
with its arrears. It reads the bench's helpers from bench.allowance, which imports this module
(bench.allowance is complete by the time a function here runs)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa

from bench import allowance as base
from bench import allowance_explain
from bench.timing import BenchError, Result

if TYPE_CHECKING:
    from bench.allowance import AllowanceFacts, AllowanceOptions


def arrears(opts: AllowanceOptions, env: dict, month, users: dict, facts: AllowanceFacts) -> list[Result]:
    """Lock the 11 months before `month` too (12 locked in all), then compute the month after."""
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.allowance.rules import Month

    earlier = [month.shift(-i) for i in range(11, 0, -1)]
    start = time.perf_counter()
    for m in earlier:
        _compute_in_process(m, users[base.PAYROLL[0]])
    for m in earlier:
        _submit_approve_lock(m, users)
    setup_s = time.perf_counter() - start
    facts.notes.append(
        f"arrears setup: {earlier[0]}..{earlier[-1]} computed, submitted, approved and locked in-process "
        f"in {setup_s:.0f} s (untimed); with {month} that makes 12 locked months"
    )
    thirteenth = month.shift(1)
    base._vacuum(opts, facts)
    steady = base._cli(env, "compute", str(thirteenth), "--as", base.PAYROLL[0])
    run_id, _state, _done = allowance_explain.run_of(thirteenth)
    before = base._run_summary(run_id)
    if before["arrears_lines"]:
        raise BenchError(f"{before['arrears_lines']} arrears lines although nothing changed since the locks")

    since = Month(thirteenth.first).shift(-12)
    rate = base._cli(
        env,
        "set-rate",
        "assistant",
        opts.arrears_rate,
        "--from",
        since.first.isoformat(),
        "--as",
        base.PAYROLL[0],
        what="flask allowance set-rate",
    )
    base._vacuum(opts, facts)
    changed = base._cli(env, "compute", str(thirteenth), "--as", base.PAYROLL[0])
    after = base._run_summary(run_id)
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.extensions import db

    by_month = {
        f"{m:%Y-%m}": n
        for m, n in db.session.execute(
            sa.text(
                "SELECT corrects_month, count(*) FROM allowance_line WHERE run_id = :r AND kind = 'arrears'"
                " GROUP BY 1 ORDER BY 1"
            ),
            {"r": run_id},
        )
    }
    db.session.rollback()
    facts.arrears = {
        "locked_months": [str(m) for m in [*earlier, month]],
        "thirteenth": str(thirteenth),
        "rate_change": rate.output.strip().splitlines()[-1],
        "nothing_changed": before,
        "after_rate_change": after,
        "arrears_lines_by_month": by_month,
    }
    if not after["arrears_lines"]:
        raise BenchError("the rate change gave no arrears")
    return [
        Result(
            f"flask allowance compute {thirteenth}, 12 locked months, nothing changed: wall time",
            steady.seconds,
            "s",
            30,
            "every worker's 12 locked months recomputed and compared with what was paid: no arrears",
        ),
        Result("compute, 12 locked months: peak RSS", steady.peak_rss_mib, "MiB"),
        Result(
            f"flask allowance compute {thirteenth}, after the rate change: wall time",
            changed.seconds,
            "s",
            30,
            f"a city-wide assistant rate of {opts.arrears_rate} in force from {since.first} "
            f"({facts.arrears['rate_change']}): arrears for {after['arrears_workers']:,} workers",
        ),
        Result("compute with arrears: peak RSS", changed.peak_rss_mib, "MiB"),
        Result(f"{thirteenth}: arrears lines", after["arrears_lines"], "lines"),
        Result(f"{thirteenth}: arrears total", float(after["arrears_total"]), "CNY"),
        Result(f"{thirteenth}: lines (allowance and arrears)", after["lines"], "lines"),
    ]


@contextmanager
def _acting(user_id: int):
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.core.audit import acting_user_id

    token = acting_user_id.set(user_id)
    try:
        yield
    finally:
        acting_user_id.reset(token)


def _compute_in_process(month, user_id: int) -> None:
    """What `flask allowance compute` does, in this process."""
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.allowance import compute, services
    from app.extensions import db

    with _acting(user_id):
        run, districts = services.start_compute(month, user_id)
        db.session.commit()
        for d in districts:
            compute.compute_part(run.id, d)
            db.session.commit()
        services.finish_if_complete(run.id)
        db.session.commit()
    db.session.remove()


def _submit_approve_lock(month, users: dict) -> None:
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.allowance import queries, services
    from app.extensions import db

    for step, user in (
        (services.submit, base.PAYROLL[0]),
        (services.approve, base.PAYROLL[1]),
        (services.lock, base.PAYROLL[1]),
    ):
        with _acting(users[user]):
            step(queries.run_for(month), users[user])
            db.session.commit()
    db.session.remove()


# ---- 4. EXPLAIN ANALYZE of one big district's loads ----
