"""The allowance bench's look into one district part (bench/allowance.py): compute_part of the
biggest district with every statement captured, then each load EXPLAINed; and the run of a month."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import sqlalchemy as sa

from bench.common import explain
from bench.timing import BenchError, Result

if TYPE_CHECKING:
    from bench.allowance import AllowanceFacts


def run_of(month) -> tuple[int, str, bool]:
    """The run of `month`: its id, state and whether it was computed."""
    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.extensions import db

    row = db.session.execute(
        sa.text("SELECT id, state, computed_at IS NOT NULL AS done FROM allowance_run WHERE month = :m"),
        {"m": month.first},
    ).one_or_none()
    db.session.rollback()
    if row is None:
        raise BenchError(f"no allowance run for {month}")
    return row.id, row.state, row.done


WATCHED = {
    "posts": "FROM post_period",
    "qualifications": "FROM qualification",
    "registrations": "FROM registration",
    "holds": "FROM allowance_hold",
    "paid (own lines)": "JOIN allowance_run",
    "paid (arrears)": "allowance_line.run_id !=",
}


def explain_part(month, facts: AllowanceFacts) -> list[Result]:
    """compute_part of the biggest district of `month`'s draft (12 locked months before it),
    with every statement captured as the driver gets it; rolled back; then each load explained."""
    from sqlalchemy import event  # lazy: only this measurement listens to the engine's statements

    # lazy: the app is imported when the bench runs, after it has chosen the database (make_app / DATABASE_URL)
    from app.allowance import compute
    from app.extensions import db

    district = db.session.execute(
        sa.text(
            "SELECT d.id, d.code, d.name, count(*) AS n FROM worker w JOIN district d ON d.id = w.district_id"
            " GROUP BY d.id ORDER BY n DESC, d.code LIMIT 1"
        )
    ).one()
    run_id, state, _done = run_of(month)
    if state != "draft":
        raise BenchError(f"{month} is {state}: compute_part explains a draft")
    captured: list[tuple[str, str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        for label, marker in WATCHED.items():
            seen = any(c[0] == label for c in captured)
            if statement.lstrip().startswith("SELECT") and marker in statement and not seen:
                captured.append((label, statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        start = time.perf_counter()
        lines = compute.compute_part(run_id, district.id)
        part_s = time.perf_counter() - start
    finally:
        event.remove(engine, "before_cursor_execute", capture)
        db.session.rollback()
    results = [
        Result(
            f"compute_part of district {district.code} ({district.n:,} workers), in-process",
            part_s,
            "s",
            note=f"{month} with 12 locked months: {lines:,} lines written, then rolled back; "
            "its loads explained below (plans in the JSON)",
        )
    ]
    plans = {}
    with engine.connect() as conn:
        for label, statement, parameters in captured:
            plan = explain(conn, statement, parameters)
            conn.rollback()
            ms = re.search(r"Execution Time: ([\d.]+) ms", plan)
            rows = re.search(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+)", plan)
            plans[label] = {
                "execution_ms": float(ms.group(1)) if ms else None,
                "plan": _short_arrays(plan),
                "sql": _short_params(statement),
            }
            top = plan.splitlines()[0].split("  (")[0].strip() if plan else ""
            results.append(
                Result(
                    f"EXPLAIN ANALYZE {label}: execution",
                    plans[label]["execution_ms"],
                    "ms",
                    note=f"{top}; {int(rows.group(1)) if rows else 0:,} rows; {_scan_summary(plan)}",
                )
            )
    missing = [label for label in WATCHED if label not in plans]
    if missing:
        facts.notes.append(f"EXPLAIN: not captured (not sent by compute_part): {', '.join(missing)}")
    facts.explain |= {
        "month": str(month),
        "district": {"id": district.id, "code": district.code, "name": district.name, "workers": district.n},
        "statements": plans,
    }
    return results


def _short_arrays(plan: str) -> str:
    """'{31669,13637,...}'::integer[] literals of thousands of ids, cut to the first three and a count."""

    def cut(m: re.Match) -> str:
        items = m.group(1).split(",")
        return f"'{{{','.join(items[:3])},… {len(items):,} values}}'"

    return re.sub(r"'\{([^{}']{200,})\}'", cut, plan)


def _short_params(statement: str) -> str:
    """IN (%(worker_id_1_1)s, %(worker_id_1_2)s, ...) cut likewise."""

    def cut(m: re.Match) -> str:
        items = m.group(1).split(", ")
        return f"IN ({', '.join(items[:2])}, … {len(items):,} parameters)"

    return re.sub(r"IN \(((?:%\(\w+\)s, ){20,}%\(\w+\)s)\)", cut, statement)


def _scan_summary(plan: str) -> str:
    """The scans of a plan, e.g. "Index Scan using ix_x on t" (what a reader checks first)."""
    scans = []
    for line in plan.splitlines():
        found = re.search(
            r"((?:Parallel )?(?:Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan|Bitmap Index Scan)"
            r"(?: using \S+)? on \S+)",
            line,
        )
        if found and found.group(1) not in scans:
            scans.append(found.group(1))
    return ", ".join(scans) or "no scan"
