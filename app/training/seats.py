"""The seats of a session: one lock per session for every seat decision, the counts, and the
waitlist moving up (first come, first seated) when seats free up."""

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.reminders import notices
from app.training.models import Enrolment, EnrolmentState, TrainingSession


def lock(session: TrainingSession) -> TrainingSession:
    """Serialise every seat decision of one session on its row: arrival order is lock order."""
    db.session.execute(sa.select(TrainingSession.id).where(TrainingSession.id == session.id).with_for_update())
    db.session.refresh(session)
    return session


def counts(session_id: int) -> tuple[int, int]:
    """(enrolled, the last position given out) of a session."""
    enrolled, last = db.session.execute(
        sa.select(
            sa.func.count().filter(Enrolment.state == EnrolmentState.enrolled),
            sa.func.coalesce(sa.func.max(Enrolment.position), 0),
        ).where(Enrolment.session_id == session_id)
    ).one()
    return int(enrolled or 0), int(last or 0)


def fill_seats(session: TrainingSession, capacity: int) -> int:
    """A new capacity: promote from the waitlist into new seats (existing seats are kept)."""
    session.capacity = capacity
    db.session.flush()
    return promote(session)


def promote(session: TrainingSession) -> int:
    """Seat the first on the waitlist, in position order, while there are free seats; tell them."""
    enrolled, _last = counts(session.id)
    free = session.capacity - enrolled
    if free <= 0:
        return 0
    waiting = list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.session_id == session.id, Enrolment.state == EnrolmentState.waitlisted)
            .order_by(Enrolment.position)
            .limit(free)
        )
    )
    for e in waiting:
        e.state = EnrolmentState.enrolled
    db.session.flush()
    for e in waiting:
        users = list(db.session.scalars(sa.select(User.id).where(User.worker_id == e.worker_id)))
        notices.notify(
            users,
            "promoted",
            f"session:{session.id}",
            f"enrolment:{e.id}:{e.position}",
            {"course": session.course.title, "session": session.name},
        )
    return len(waiting)
