"""The training scenario, on the 100,000-worker demo database (app/training/), through Flask's
test client as the city-wide coordinator:

1. a 500-person roster: a course and a session (capacity 500) with one meeting, 500 in-post
   workers enrolled with services.bulk_enrol (setup), half of them already marked; then the
   meeting's roster page (GET) and recording a mark (POST .../mark, Accept: application/json);
2. bulk enrolment of 5,000 in-post workers into fresh sessions of capacity 3,000 (so 2,000 go
   to the waitlist): services.bulk_enrol called directly, and the view (POST .../enrol-bulk)
   with a filter that matches at least 5,000 in-post workers.

Setup deletes what an earlier run created (courses and sessions whose names start with "bench "),
so every run starts from the same state.
"""

import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from bench.common import ensure_demo_database, make_app, vacuum_analyze
from bench.scenario import _logged_in
from bench.timing import BenchError, Result, percentile, sample_ms

COORDINATOR = "coord_city"
MARKS = ("present", "late", "absent")


@dataclass
class TrainingOptions:
    url: str
    workers: int = 100_000
    roster: int = 500
    bulk: int = 5000
    capacity: int = 3000
    runs: int = 30
    warmups: int = 3
    vacuum: bool = True


@dataclass
class TrainingFacts:
    notes: list[str] = field(default_factory=list)
    sessions: dict = field(default_factory=dict)


def run(opts: TrainingOptions, workdir: Path | None = None) -> tuple[list[Result], TrainingFacts]:
    if workdir is not None:
        return _run(opts, workdir)
    with tempfile.TemporaryDirectory(prefix="socialwork-bench-training-") as tmp:
        return _run(opts, Path(tmp))


def _run(opts: TrainingOptions, workdir: Path) -> tuple[list[Result], TrainingFacts]:
    """Setup and checks run in an app context of their own; requests go through the test client
    outside any (as in production, each request has its own context, session and g)."""
    facts = TrainingFacts()
    workdir.mkdir(parents=True, exist_ok=True)
    _env, results = ensure_demo_database(opts.url, opts.workers, workdir, facts.notes)
    app = make_app(opts.url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        cleanup(facts)
        course_id = _course()
        roster_session, meeting_id, marked = _roster_session(opts, course_id)
    if opts.vacuum:
        vacuum_analyze(opts.url, ("training_session", "meeting", "enrolment", "attendance", "worker"))
        facts.notes.append("VACUUM ANALYZE of the training tables and worker after the setup")
    client = _logged_in(app, COORDINATOR)
    results += roster_pages(opts, app, client, roster_session, meeting_id, marked, facts)
    results += bulk_enrolment(opts, app, client, course_id, facts)
    return results, facts


# ---- setup ----


def cleanup(facts: TrainingFacts) -> None:
    from app.extensions import db

    sessions = db.session.execute(sa.text("DELETE FROM training_session WHERE name LIKE 'bench %'")).rowcount
    courses = db.session.execute(
        sa.text(
            "DELETE FROM course WHERE title LIKE 'bench %'"
            " AND NOT EXISTS (SELECT 1 FROM training_session s WHERE s.course_id = course.id)"
        )
    ).rowcount
    db.session.commit()
    if sessions or courses:
        facts.notes.append(
            f"setup: deleted {sessions} sessions and {courses} courses of an earlier run (with their meetings, "
            "enrolments and attendance)"
        )


def _course() -> int:
    from app.extensions import db
    from app.training import services
    from app.training.models import Track

    course = services.save_course(None, Track.knowledge, None, "bench course", "", Decimal("12"), Decimal("80"))
    db.session.commit()
    return course.id


def _new_session(course_id: int, name: str, venue: str, capacity: int, starts_in: timedelta):
    """A city-wide session, open, one three-hour meeting `starts_in` from now: days ahead (enrolment
    open, not yet due for a reminder), or under way (attendance open, enrolment closed)."""
    from app.core.timeutil import utcnow
    from app.extensions import db
    from app.training import services
    from app.training.models import Course, SessionStatus

    now = utcnow().replace(microsecond=0)
    start = now + starts_in
    data = services.SessionData(
        name=name,
        venue=venue,
        capacity=capacity,
        district_id=None,
        enrol_opens=now - timedelta(days=1),
        enrol_closes=start - timedelta(hours=1),
        meetings=[(start, start + timedelta(hours=3))],
    )
    session = services.create_session(db.session.get(Course, course_id), data, None)
    services.set_status(session, SessionStatus.open)
    db.session.commit()
    return session


def _in_post_workers(limit: int | None = None) -> list[int]:
    """In-post workers today, in the order the bulk-enrolment view takes them (name, id)."""
    from app.core.timeutil import local_today
    from app.extensions import db

    rows = db.session.execute(
        sa.text(
            "SELECT id FROM worker WHERE post_start <= :d AND (post_end IS NULL OR post_end >= :d)"
            " ORDER BY name, id" + (" LIMIT :n" if limit else "")
        ),
        {"d": local_today(), "n": limit},
    ).scalars()
    return list(rows)


def _roster_session(opts: TrainingOptions, course_id: int):
    from app.extensions import db
    from app.training import services
    from app.training.models import Mark, Meeting

    # The meeting is under way (it started an hour ago): its attendance is open, as in the middle of
    # a roll call (marks are taken from 30 minutes before a meeting starts).
    session = _new_session(course_id, f"bench roster {opts.roster}", "bench hall A", opts.roster, timedelta(hours=-1))
    session_id = session.id
    workers = _in_post_workers(opts.roster)
    seated, waiting, _already = services.bulk_enrol(session, workers)
    db.session.commit()
    if seated != opts.roster or waiting:
        raise BenchError(f"the roster session seated {seated} and waitlisted {waiting}, not {opts.roster} and 0")
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.session_id == session_id))
    marked = workers[::2]  # half the roster is marked already, as in the middle of a roll call
    for n, wid in enumerate(marked):
        services.mark(meeting, wid, Mark(MARKS[n % 3]))
    db.session.commit()
    return {"id": session_id, "workers": workers}, meeting.id, len(marked)


# ---- 1. the roster page and a mark ----


def roster_pages(opts, app, client, session: dict, meeting_id: int, marked: int, facts: TrainingFacts):
    from sqlalchemy import event

    from app.extensions import db

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


# ---- 2. bulk enrolment of 5,000 ----


def _filter_for(n: int) -> tuple[dict, str, int]:
    """The bulk-enrolment filter matching the fewest in-post workers that are still ≥ n: a street
    name (the same name exists in several districts), else a post type."""
    from app.core.timeutil import local_today
    from app.extensions import db

    today = local_today()
    in_post = "w.post_start <= :d AND (w.post_end IS NULL OR w.post_end >= :d)"
    street = db.session.execute(
        sa.text(
            f"SELECT s.name, count(*) AS n FROM worker w JOIN street s ON s.id = w.street_id WHERE {in_post}"
            " GROUP BY s.name HAVING count(*) >= :n ORDER BY count(*), s.name LIMIT 1"
        ),
        {"d": today, "n": n},
    ).one_or_none()
    if street is not None:
        return {"bulk-street": street.name}, f"street name “{street.name}”", street.n
    post = db.session.execute(
        sa.text(
            f"SELECT w.post_type, count(*) AS n FROM worker w WHERE {in_post}"
            " GROUP BY w.post_type HAVING count(*) >= :n ORDER BY count(*) LIMIT 1"
        ),
        {"d": today, "n": n},
    ).one_or_none()
    if post is None:
        return {}, "no filter (every in-post worker)", len(_in_post_workers())
    from app.workers.models import PostType

    value = PostType[post.post_type].value
    return {"bulk-post": value}, f"post “{value}”", post.n


def _matching(form: dict) -> list[int]:
    """The ids the view will take for this filter, in its order (name, id)."""
    from app.core.timeutil import local_today
    from app.extensions import db

    clause, params = "", {"d": local_today()}
    if "bulk-street" in form:
        clause = " AND street_id IN (SELECT id FROM street WHERE name = :s)"
        params["s"] = form["bulk-street"]
    elif "bulk-post" in form:
        from app.workers.models import PostType

        clause = " AND post_type = :p"
        params["p"] = PostType(form["bulk-post"]).name
    return list(
        db.session.execute(
            sa.text(
                "SELECT id FROM worker WHERE post_start <= :d AND (post_end IS NULL OR post_end >= :d)"
                + clause
                + " ORDER BY name, id"
            ),
            params,
        ).scalars()
    )


def _seats(session_id: int) -> tuple[int, int]:
    from app.extensions import db

    row = db.session.execute(
        sa.text(
            "SELECT count(*) FILTER (WHERE state = 'enrolled'), count(*) FILTER (WHERE state = 'waitlisted')"
            " FROM enrolment WHERE session_id = :s"
        ),
        {"s": session_id},
    ).one()
    return row[0], row[1]


def bulk_enrolment(opts: TrainingOptions, app, client, course_id: int, facts: TrainingFacts) -> list[Result]:
    from app.extensions import db
    from app.training import services
    from app.training.models import TrainingSession

    with app.app_context():
        form, described, matched = _filter_for(opts.bulk)
        ids = _matching(form)
        if len(ids) != matched:
            raise BenchError(f"the filter {described} matches {len(ids)} workers here and {matched} in the count")
        wanted_wait = len(ids) - opts.capacity
        direct_id = _new_session(
            course_id, f"bench bulk direct {len(ids)}", "bench hall B", opts.capacity, timedelta(days=21)
        ).id
        view_id = _new_session(
            course_id, f"bench bulk view {len(ids)}", "bench hall C", opts.capacity, timedelta(days=28)
        ).id

    with app.app_context():
        session = db.session.get(TrainingSession, direct_id)
        start = time.perf_counter()
        seated, waiting, already = services.bulk_enrol(session, ids)
        db.session.commit()
        direct_s = time.perf_counter() - start
    with app.app_context():
        if (seated, waiting, already) != (opts.capacity, wanted_wait, 0) or _seats(direct_id) != (
            opts.capacity,
            wanted_wait,
        ):
            raise BenchError(f"bulk_enrol gave {seated} seated, {waiting} waitlisted, {already} already there")

    data = {"bulk-district": "", "bulk-street": "", "bulk-community": "", "bulk-post": "", "bulk-not_qualified": ""}
    data.update(form)
    data["bulk-confirm"] = "1"  # the confirmed POST, as the preview page's button sends it
    start = time.perf_counter()
    response = client.post(f"/training/sessions/{view_id}/enrol-bulk", data=data)
    view_s = time.perf_counter() - start
    if response.status_code != 302:
        raise BenchError(f"POST enrol-bulk answered {response.status_code}")
    with app.app_context():
        seats = _seats(view_id)
    if seats != (opts.capacity, wanted_wait):
        raise BenchError(f"the enrol-bulk view left {seats} enrolled/waitlisted, not {opts.capacity}/{wanted_wait}")

    detail_samples = sample_ms(lambda: _ok(client.get(f"/training/sessions/{view_id}")), 5, 1)
    facts.sessions["bulk"] = {
        "filter": described,
        "form": form,
        "matched": len(ids),
        "capacity": opts.capacity,
        "enrolled": opts.capacity,
        "waitlisted": wanted_wait,
        "direct_session_id": direct_id,
        "view_session_id": view_id,
    }
    label = f"{len(ids):,} in-post workers into capacity {opts.capacity:,}"
    return [
        Result(
            f"services.bulk_enrol, {label}: wall time",
            direct_s,
            "s",
            5,
            f"the workers the filter {described} matches, in the view's order; "
            f"{opts.capacity:,} enrolled, {wanted_wait:,} waitlisted; with the commit",
        ),
        Result(
            f"POST /training/sessions/<id>/enrol-bulk, {label}: wall time",
            view_s,
            "s",
            5,
            f"filter {described}: the view's query, bulk_enrol and the commit, through the test client (302)",
        ),
        Result(
            f"GET the session page afterwards ({opts.capacity:,} enrolled, {wanted_wait:,} waitlisted): median of 5",
            percentile(detail_samples, 50),
            "ms",
            note="where the redirect after enrol-bulk lands (no target set)",
        ),
    ]


def _ok(response) -> None:
    if response.status_code != 200:
        raise BenchError(f"GET answered {response.status_code}")
