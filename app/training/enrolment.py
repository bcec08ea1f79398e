"""Writes for enrolment: a seat, or the next place on the waitlist; many at once; cancelling,
which seats the first one waiting."""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.bulk import insert_rows
from app.core.services import ServiceError
from app.core.timeutil import utcnow
from app.extensions import db
from app.training import seats
from app.training.models import Enrolment, EnrolmentState, SessionStatus, TrainingSession
from app.training.rules import ensure_not_finished


def enrol(session: TrainingSession, worker_id: int, by_worker: bool = False) -> Enrolment:
    """Take a seat, or the next place on the waitlist when the session is full."""
    session = seats.lock(session)
    ensure_not_finished(session)
    if by_worker:
        now = utcnow()
        if session.status != SessionStatus.open or not session.enrol_opens <= now <= session.enrol_closes:
            raise ServiceError(_("Enrolment for this session is not open."))
    existing = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.session_id == session.id, Enrolment.worker_id == worker_id)
    )
    if existing is not None and existing.state != EnrolmentState.cancelled:
        raise ServiceError(_("%(name)s is already on this session's list.", name=existing.worker.name))
    enrolled, last = seats.counts(session.id)
    state = EnrolmentState.enrolled if enrolled < session.capacity else EnrolmentState.waitlisted
    if existing is None:
        existing = Enrolment(session_id=session.id, worker_id=worker_id, state=state, position=last + 1)
        db.session.add(existing)
    else:  # coming back after cancelling: to the end of the line
        existing.state, existing.position = state, last + 1
    db.session.flush()
    return existing


def _workers_on(session_id: int, cancelled: bool) -> set[int]:
    state = Enrolment.state == EnrolmentState.cancelled if cancelled else Enrolment.state != EnrolmentState.cancelled
    return set(db.session.scalars(sa.select(Enrolment.worker_id).where(Enrolment.session_id == session_id, state)))


def bulk_enrol(session: TrainingSession, worker_ids: list[int]) -> tuple[int, int, int]:
    """Enrol many workers at once (set-based); returns (enrolled, waitlisted, already there)."""
    session = seats.lock(session)
    ensure_not_finished(session)
    present, cancelled = _workers_on(session.id, cancelled=False), _workers_on(session.id, cancelled=True)
    enrolled, last = seats.counts(session.id)
    free = max(0, session.capacity - enrolled)
    rows, seated, waiting = [], 0, 0
    now = utcnow()
    for wid in worker_ids:
        if wid in present:
            continue
        present.add(wid)
        last += 1
        state = EnrolmentState.enrolled if seated < free else EnrolmentState.waitlisted
        seated += state == EnrolmentState.enrolled
        waiting += state == EnrolmentState.waitlisted
        if wid in cancelled:
            db.session.execute(
                sa.update(Enrolment)
                .where(Enrolment.session_id == session.id, Enrolment.worker_id == wid)
                .values(state=state.name, position=last, updated_at=now)
            )
        else:
            rows.append(
                {
                    "session_id": session.id,
                    "worker_id": wid,
                    "state": state.name,
                    "position": last,
                    "hours_awarded": Decimal(0),
                    "created_at": now,
                    "updated_at": now,
                }
            )
    insert_rows(Enrolment.__table__, rows)
    return seated, waiting, len(worker_ids) - seated - waiting


def cancel_enrolment(enrolment: Enrolment, by_worker: bool = False) -> Enrolment | None:
    """Cancel; a freed seat promotes exactly one person, the first on the waitlist."""
    session = seats.lock(enrolment.session)
    ensure_not_finished(session)
    if by_worker and utcnow() > session.enrol_closes:
        raise ServiceError(_("The enrolment window has closed; ask your coordinator."))
    if enrolment.state == EnrolmentState.cancelled:
        return None
    enrolment.state = EnrolmentState.cancelled
    db.session.flush()
    seats.promote(session)
    return enrolment
