"""Clashes: the same venue, or the same workers, at overlapping times in two live sessions."""

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.extensions import db
from app.training.models import Enrolment, EnrolmentState, Meeting, SessionStatus, TrainingSession
from app.training.queries import visible_participants
from app.workers.models import Worker


def venue_clashes(session: TrainingSession) -> list[tuple[Meeting, Meeting]]:
    """Meetings of other live sessions at the same venue that overlap this session's meetings."""
    other = aliased(Meeting)
    mine = [m.id for m in session.meetings]
    if not mine:
        return []
    rows = db.session.execute(
        sa.select(Meeting, other)
        .join(
            other, sa.and_(other.id != Meeting.id, other.starts_at < Meeting.ends_at, other.ends_at > Meeting.starts_at)
        )
        .join(TrainingSession, TrainingSession.id == other.session_id)
        .where(
            Meeting.id.in_(mine),
            other.session_id != session.id,
            TrainingSession.venue == session.venue,
            TrainingSession.status != SessionStatus.cancelled,
        )
    ).all()
    return [(a, b) for a, b in rows]


def worker_clashes(user, session: TrainingSession, limit: int = 50) -> list[tuple[str, Meeting, Meeting]]:
    """Enrolled workers (that the user may see) also enrolled in another session with an
    overlapping meeting."""
    other_m, other_e = aliased(Meeting), aliased(Enrolment)
    query = (
        sa.select(Worker.name, Meeting, other_m)
        .select_from(Enrolment)
        .join(Worker, Worker.id == Enrolment.worker_id)
        .join(Meeting, Meeting.session_id == Enrolment.session_id)
        .join(
            other_e,
            sa.and_(
                other_e.worker_id == Enrolment.worker_id,
                other_e.session_id != Enrolment.session_id,
                other_e.state == EnrolmentState.enrolled,
            ),
        )
        .join(
            other_m,
            sa.and_(
                other_m.session_id == other_e.session_id,
                other_m.starts_at < Meeting.ends_at,
                other_m.ends_at > Meeting.starts_at,
            ),
        )
        .where(Enrolment.session_id == session.id, Enrolment.state == EnrolmentState.enrolled)
        .limit(limit)
    )
    rows = db.session.execute(visible_participants(user, query, Enrolment.worker_id)).all()
    return [(name, a, b) for name, a, b in rows]
