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
from pathlib import Path

from bench.common import ensure_demo_database, make_app, vacuum_analyze
from bench.scenario import _logged_in
from bench.timing import Result
from bench.training_bulk import bulk_enrolment
from bench.training_roster import roster_pages
from bench.training_setup import COORDINATOR, TrainingFacts, TrainingOptions, cleanup, make_course, make_roster_session

__all__ = ["TrainingFacts", "TrainingOptions", "run"]


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
        course_id = make_course()
        roster_session, meeting_id, marked = make_roster_session(opts, course_id)
    if opts.vacuum:
        vacuum_analyze(opts.url, ("training_session", "meeting", "enrolment", "attendance", "worker"))
        facts.notes.append("VACUUM ANALYZE of the training tables and worker after the setup")
    client = _logged_in(app, COORDINATOR)
    results += roster_pages(opts, app, client, roster_session, meeting_id, marked, facts)
    results += bulk_enrolment(opts, app, client, course_id, facts)
    return results, facts
