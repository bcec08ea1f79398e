"""The training scenario, part 2: bulk enrolment of 5,000 in-post workers into fresh sessions of
capacity 3,000 (2,000 go to the waitlist), through services.bulk_enrol and through the view."""

import time
from datetime import timedelta

import sqlalchemy as sa

from app.core.timeutil import local_today
from app.extensions import db
from app.training import services
from app.training.models import TrainingSession
from app.workers.models import PostType
from bench.timing import BenchError, Result, percentile, sample_ms
from bench.training_setup import TrainingFacts, TrainingOptions, in_post_workers, new_session


def _filter_for(n: int) -> tuple[dict, str, int]:
    """The bulk-enrolment filter matching the fewest in-post workers that are still ≥ n: a street
    name (the same name exists in several districts), else a post type."""
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
        return {}, "no filter (every in-post worker)", len(in_post_workers())
    value = PostType[post.post_type].value
    return {"bulk-post": value}, f"post “{value}”", post.n


def _matching(form: dict) -> list[int]:
    """The ids the view will take for this filter, in its order (name, id)."""
    clause, params = "", {"d": local_today()}
    if "bulk-street" in form:
        clause = " AND street_id IN (SELECT id FROM street WHERE name = :s)"
        params["s"] = form["bulk-street"]
    elif "bulk-post" in form:
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
    row = db.session.execute(
        sa.text(
            "SELECT count(*) FILTER (WHERE state = 'enrolled'), count(*) FILTER (WHERE state = 'waitlisted')"
            " FROM enrolment WHERE session_id = :s"
        ),
        {"s": session_id},
    ).one()
    return row[0], row[1]


def bulk_enrolment(opts: TrainingOptions, app, client, course_id: int, facts: TrainingFacts) -> list[Result]:
    with app.app_context():
        form, described, matched = _filter_for(opts.bulk)
        ids = _matching(form)
        if len(ids) != matched:
            raise BenchError(f"the filter {described} matches {len(ids)} workers here and {matched} in the count")
        wanted_wait = len(ids) - opts.capacity
        direct_id = new_session(
            course_id, f"bench bulk direct {len(ids)}", "bench hall B", opts.capacity, timedelta(days=21)
        ).id
        view_id = new_session(
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
