"""The training scenario's starting state: what an earlier run left is deleted, a course, and a
session (one meeting under way) with the roster enrolled and half of it marked."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.core.timeutil import local_today, utcnow
from app.extensions import db
from app.training import services
from app.training.models import Course, Mark, Meeting, SessionStatus, Track
from bench.timing import BenchError

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


def cleanup(facts: TrainingFacts) -> None:
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


def make_course() -> int:
    course = services.save_course(None, Track.knowledge, None, "bench course", "", Decimal("12"), Decimal("80"))
    db.session.commit()
    return course.id


def new_session(course_id: int, name: str, venue: str, capacity: int, starts_in: timedelta):
    """A city-wide session, open, one three-hour meeting `starts_in` from now: days ahead (enrolment
    open, not yet due for a reminder), or under way (attendance open, enrolment closed)."""
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


def in_post_workers(limit: int | None = None) -> list[int]:
    """In-post workers today, in the order the bulk-enrolment view takes them (name, id)."""
    rows = db.session.execute(
        sa.text(
            "SELECT id FROM worker WHERE post_start <= :d AND (post_end IS NULL OR post_end >= :d)"
            " ORDER BY name, id" + (" LIMIT :n" if limit else "")
        ),
        {"d": local_today(), "n": limit},
    ).scalars()
    return list(rows)


def make_roster_session(opts: TrainingOptions, course_id: int):
    # The meeting is under way (it started an hour ago): its attendance is open, as in the middle of
    # a roll call (marks are taken from 30 minutes before a meeting starts).
    session = new_session(course_id, f"bench roster {opts.roster}", "bench hall A", opts.roster, timedelta(hours=-1))
    session_id = session.id
    workers = in_post_workers(opts.roster)
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
