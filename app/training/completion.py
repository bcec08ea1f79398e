"""Completing a session (credit hours to those who attended enough) and undoing it."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.audit import AuditAction, record
from app.core.services import ServiceError
from app.core.timeutil import to_local, utcnow
from app.extensions import db
from app.training import rules, seats
from app.training.models import Attendance, Enrolment, EnrolmentState, Mark, SessionStatus, TrainingSession


def complete_session(session: TrainingSession, now: datetime | None = None) -> tuple[int, int]:
    """Award the course's credit hours to each enrolled worker who met the threshold, once the
    last meeting has ended."""
    session = seats.lock(session)
    rules.ensure_not_finished(session)
    now = now or utcnow()
    if not rules.can_complete(session, now):
        last = rules.last_meeting_end(session)
        raise ServiceError(
            _(
                "A session is completed after its last meeting has ended (%(when)s).",
                when=f"{to_local(last):%Y-%m-%d %H:%M}" if last else "—",
            )
        )
    meetings = [m.id for m in session.meetings]
    attended = dict(
        db.session.execute(
            sa.select(Attendance.worker_id, sa.func.count())
            .where(Attendance.meeting_id.in_(meetings), Attendance.mark.in_([Mark.present, Mark.late]))
            .group_by(Attendance.worker_id)
        ).all()
    )
    threshold, hours = session.course.completion_threshold, session.course.credit_hours
    done = failed = 0
    for e in db.session.scalars(
        sa.select(Enrolment).where(Enrolment.session_id == session.id, Enrolment.state == EnrolmentState.enrolled)
    ):
        share = Decimal(attended.get(e.worker_id, 0)) / Decimal(len(meetings))
        e.completed = share >= threshold
        e.hours_awarded = hours if e.completed else Decimal(0)
        done += e.completed
        failed += not e.completed
    session.status, session.completed_at = SessionStatus.completed, now
    db.session.flush()
    return done, failed


def reopen_session(session: TrainingSession) -> int:
    """Undo a completion: the credit hours awarded are withdrawn (so they leave the CE ledgers) and
    attendance can be corrected before completing again. The session's own change is audited by
    the listener; the withdrawn hours are written to the audit log here, since enrolments are not.
    Returns how many workers lose hours."""
    session = seats.lock(session)
    if session.status != SessionStatus.completed:
        raise ServiceError(_("Only a completed session can be reopened."))
    awarded = dict(
        db.session.execute(
            sa.select(Enrolment.worker_id, Enrolment.hours_awarded).where(
                Enrolment.session_id == session.id, Enrolment.completed.is_(True)
            )
        ).all()
    )
    db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.session_id == session.id, Enrolment.completed.is_not(None))
        .values(completed=None, hours_awarded=Decimal(0), updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    session.status, session.completed_at = SessionStatus.closed, None
    db.session.flush()
    record(
        AuditAction.update,
        "training_session",
        session.id,
        summary=f"reopened {session!r}: credit hours withdrawn from {len(awarded)} worker(s)",
        before={"hours_awarded": {str(k): str(v) for k, v in awarded.items()}},
        after={"hours_awarded": {}},
    )
    return len(awarded)
