"""The training scenario, part 1: a meeting's roster page (GET) and recording a mark (POST
.../mark, Accept: application/json), timed, with the SQL statements each request runs."""

import sqlalchemy as sa
from sqlalchemy import event

from app.extensions import db
from bench.timing import BenchError, Result, percentile, sample_ms
from bench.training_setup import COORDINATOR, MARKS, TrainingFacts


def roster_pages(opts, app, client, session: dict, meeting_id: int, marked: int, facts: TrainingFacts):
    with app.app_context():
        engine = db.engine
    base = f"/training/sessions/{session['id']}/meetings/{meeting_id}"
    expected = len(session["workers"])

    def get_roster():
        response = client.get(base)
        if response.status_code != 200:
            raise BenchError(f"GET {base} answered {response.status_code}")
        rows = response.get_data().count(b'class="roster-row"')
        if rows != expected:
            raise BenchError(f"GET {base} showed {rows} roster rows, not {expected}")

    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        get_roster()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    page_statements = len(statements)

    get_samples = sample_ms(get_roster, opts.runs, opts.warmups)

    workers = iter(session["workers"] * 2)
    posted = []

    def post_mark():
        wid = next(workers)
        value = MARKS[len(posted) % 3]
        response = client.post(
            f"{base}/mark", data={"worker_id": str(wid), "mark": value}, headers={"Accept": "application/json"}
        )
        if response.status_code != 200 or response.get_json() != {"ok": True, "mark": value}:
            raise BenchError(f"POST {base}/mark answered {response.status_code}: {response.get_data()[:200]!r}")
        posted.append(wid)

    statements.clear()
    event.listen(engine, "before_cursor_execute", count)
    try:
        post_mark()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    mark_statements = len(statements)
    post_samples = sample_ms(post_mark, opts.runs, opts.warmups)

    with app.app_context():
        stored = db.session.execute(
            sa.text("SELECT count(*) FROM attendance WHERE meeting_id = :m"), {"m": meeting_id}
        ).scalar()
    facts.sessions["roster"] = {
        "session_id": session["id"],
        "meeting_id": meeting_id,
        "enrolled": expected,
        "marked_before": marked,
        "attendance_rows_after": stored,
        "statements_per_get": page_statements,
        "statements_per_mark": mark_statements,
    }
    who = f"{expected} enrolled, {marked} marked"
    return [
        Result(
            f"GET roster of a meeting ({who}): median",
            percentile(get_samples, 50),
            "ms",
            200,
            f"{base} as {COORDINATOR}; {page_statements} SQL statements per request",
        ),
        Result("GET roster: p95", percentile(get_samples, 95), "ms", 200),
        Result(
            "POST mark (Accept: application/json): median",
            percentile(post_samples, 50),
            "ms",
            200,
            f"{base}/mark, each request another worker (new marks and changed ones); "
            f"{mark_statements} SQL statements per request",
        ),
        Result("POST mark: p95", percentile(post_samples, 95), "ms", 200),
    ]
