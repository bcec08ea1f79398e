"""Writes for training: courses, sessions and meetings, enrolment with a waitlist, attendance,
self check-in and completion. Flush, never commit; notices are written in the same transaction."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.audit import AuditAction, record
from app.core.bulk import insert_rows
from app.core.services import ServiceError
from app.core.timeutil import to_local, utcnow
from app.exams.levels import Level
from app.extensions import db
from app.reminders import notices
from app.training import rules
from app.training.models import (
    Attendance,
    Course,
    Enrolment,
    EnrolmentState,
    Mark,
    Meeting,
    SessionStatus,
    Track,
    TrainingSession,
)

# ---- courses ----


def save_course(
    course: Course | None,
    track: Track,
    target_level: Level | None,
    title: str,
    description: str,
    credit_hours: Decimal,
    threshold_percent: Decimal,
    created_by_id: int | None = None,
) -> Course:
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("The title is required."), "title")
    if credit_hours is None or credit_hours <= 0 or credit_hours > 500:
        raise ServiceError(_("Credit hours must be more than 0 and at most 500."), "credit_hours")
    if threshold_percent is None or not Decimal(1) <= threshold_percent <= Decimal(100):
        raise ServiceError(_("The completion threshold is a percentage from 1 to 100."), "threshold")
    if track == Track.pre_exam and target_level is None:
        raise ServiceError(_("Pre-exam training names the level it prepares for."), "target_level")
    course = course or Course(created_by_id=created_by_id)
    course.track, course.title, course.description = track, title[:120], (description or "").strip()
    course.target_level = target_level if track == Track.pre_exam else None
    course.credit_hours = credit_hours.quantize(Decimal("0.1"))
    course.completion_threshold = (threshold_percent / 100).quantize(Decimal("0.001"))
    db.session.add(course)
    db.session.flush()
    return course


# ---- sessions and meetings ----


@dataclass
class SessionData:
    name: str
    venue: str
    capacity: int
    district_id: int | None
    enrol_opens: datetime
    enrol_closes: datetime
    meetings: list[tuple[datetime, datetime]]  # timezone-aware


def _check_session(data: SessionData, allowed: set[int] | None) -> None:
    if not (data.name or "").strip():
        raise ServiceError(_("The session needs a name."), "name")
    if not (data.venue or "").strip():
        raise ServiceError(_("The venue is required."), "venue")
    if data.capacity is None or data.capacity < 0:
        raise ServiceError(_("The capacity cannot be negative."), "capacity")
    if allowed is not None and data.district_id not in allowed:
        raise ServiceError(_("Choose a district within your scope."), "district_id")
    if not data.meetings:
        raise ServiceError(_("A session has at least one meeting."), "meetings")
    for start, end in data.meetings:
        if end <= start:
            raise ServiceError(
                _("A meeting cannot end before it starts (%(when)s).", when=f"{to_local(start):%Y-%m-%d %H:%M}"),
                "meetings",
            )
    if data.enrol_closes <= data.enrol_opens:
        raise ServiceError(_("Enrolment cannot close before it opens."), "enrol_closes")
    last_end = max(end for _start, end in data.meetings)
    if data.enrol_closes > last_end:
        raise ServiceError(_("Enrolment cannot close after the session has ended."), "enrol_closes")


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def create_session(course: Course, data: SessionData, allowed: set[int] | None) -> TrainingSession:
    _check_session(data, allowed)
    session = TrainingSession(
        course_id=course.id,
        name=data.name.strip()[:80],
        venue=data.venue.strip()[:120],
        capacity=data.capacity,
        district_id=data.district_id,
        enrol_opens=data.enrol_opens,
        enrol_closes=data.enrol_closes,
        status=SessionStatus.planned,
    )
    session.meetings = [Meeting(starts_at=s, ends_at=e, checkin_code=_new_code()) for s, e in sorted(data.meetings)]
    db.session.add(session)
    db.session.flush()
    return session


def update_session(session: TrainingSession, data: SessionData, allowed: set[int] | None) -> TrainingSession:
    ensure_not_finished(session)
    _check_session(data, allowed)
    before = _schedule(session)
    session.name, session.venue = data.name.strip()[:80], data.venue.strip()[:120]
    session.district_id, session.enrol_opens, session.enrol_closes = (
        data.district_id,
        data.enrol_opens,
        data.enrol_closes,
    )
    wanted = sorted(data.meetings)
    existing = list(session.meetings)
    for meeting, (start, end) in zip(existing, wanted, strict=False):
        meeting.starts_at, meeting.ends_at = start, end
    for meeting in existing[len(wanted) :]:
        session.meetings.remove(meeting)
    for start, end in wanted[len(existing) :]:
        session.meetings.append(Meeting(starts_at=start, ends_at=end, checkin_code=_new_code()))
    db.session.flush()
    _fill_seats(session, data.capacity)
    after = _schedule(session)
    if after != before:
        when = "; ".join(
            f"{to_local(m.starts_at):%Y-%m-%d %H:%M}–{to_local(m.ends_at):%H:%M}" for m in session.meetings
        )
        _notify_participants(session, "session_moved", hashlib.sha256(after.encode()).hexdigest()[:16], when=when)
    return session


def _schedule(session: TrainingSession) -> str:
    return "|".join(
        f"{m.starts_at.isoformat()}/{m.ends_at.isoformat()}"
        for m in sorted(session.meetings, key=lambda m: m.starts_at)
    )


def _fill_seats(session: TrainingSession, capacity: int) -> int:
    """A new capacity: promote from the waitlist into new seats (existing seats are kept)."""
    session.capacity = capacity
    db.session.flush()
    return _promote(session)


def set_status(session: TrainingSession, status: SessionStatus) -> TrainingSession:
    ensure_not_finished(session)
    if status == SessionStatus.completed:
        raise ServiceError(_("Complete a session with the Complete button."))
    session.status = status
    db.session.flush()
    if status == SessionStatus.cancelled:
        _notify_participants(session, "session_cancelled", "cancelled")
    return session


def ensure_not_finished(session: TrainingSession) -> None:
    """A cancelled or completed session no longer changes (reopen a completed one first)."""
    if rules.is_finished(session):
        raise ServiceError(_("This session is %(status)s and can no longer change.", status=session.status.label))


def _notify_participants(session: TrainingSession, kind: str, occurrence: str, **params) -> None:
    from app.accounts.models import User

    worker_ids = sa.select(Enrolment.worker_id).where(
        Enrolment.session_id == session.id, Enrolment.state != EnrolmentState.cancelled
    )
    users = list(db.session.scalars(sa.select(User.id).where(User.worker_id.in_(worker_ids))))
    notices.notify(
        users,
        kind,
        f"session:{session.id}",
        occurrence,
        {"course": session.course.title, "session": session.name, **params},
    )


# ---- enrolment ----


def _lock(session: TrainingSession) -> TrainingSession:
    """Serialise every seat decision of one session on its row: arrival order is lock order."""
    db.session.execute(sa.select(TrainingSession.id).where(TrainingSession.id == session.id).with_for_update())
    db.session.refresh(session)
    return session


def _counts(session_id: int) -> tuple[int, int]:
    enrolled, last = db.session.execute(
        sa.select(
            sa.func.count().filter(Enrolment.state == EnrolmentState.enrolled),
            sa.func.coalesce(sa.func.max(Enrolment.position), 0),
        ).where(Enrolment.session_id == session_id)
    ).one()
    return int(enrolled or 0), int(last or 0)


def enrol(session: TrainingSession, worker_id: int, by_worker: bool = False) -> Enrolment:
    """Take a seat, or the next place on the waitlist when the session is full."""
    session = _lock(session)
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
    enrolled, last = _counts(session.id)
    state = EnrolmentState.enrolled if enrolled < session.capacity else EnrolmentState.waitlisted
    if existing is None:
        existing = Enrolment(session_id=session.id, worker_id=worker_id, state=state, position=last + 1)
        db.session.add(existing)
    else:  # coming back after cancelling: to the end of the line
        existing.state, existing.position = state, last + 1
    db.session.flush()
    return existing


def bulk_enrol(session: TrainingSession, worker_ids: list[int]) -> tuple[int, int, int]:
    """Enrol many workers at once (set-based); returns (enrolled, waitlisted, already there)."""
    session = _lock(session)
    ensure_not_finished(session)
    present = set(
        db.session.scalars(
            sa.select(Enrolment.worker_id).where(
                Enrolment.session_id == session.id, Enrolment.state != EnrolmentState.cancelled
            )
        )
    )
    cancelled = set(
        db.session.scalars(
            sa.select(Enrolment.worker_id).where(
                Enrolment.session_id == session.id, Enrolment.state == EnrolmentState.cancelled
            )
        )
    )
    enrolled, last = _counts(session.id)
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
    session = _lock(enrolment.session)
    ensure_not_finished(session)
    if by_worker and utcnow() > session.enrol_closes:
        raise ServiceError(_("The enrolment window has closed; ask your coordinator."))
    if enrolment.state == EnrolmentState.cancelled:
        return None
    enrolment.state = EnrolmentState.cancelled
    db.session.flush()
    _promote(session)
    return enrolment


def _promote(session: TrainingSession) -> int:
    enrolled, _last = _counts(session.id)
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
    if waiting:
        from app.accounts.models import User

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


# ---- attendance ----


def mark(
    meeting: Meeting, worker_id: int, value: Mark, self_checkin: bool = False, now: datetime | None = None
) -> Attendance:
    session = meeting.session
    ensure_not_finished(session)
    if not rules.attendance_open(meeting, now or utcnow()):
        raise ServiceError(
            _(
                "Attendance for the meeting of %(when)s opens at %(opens)s, 30 minutes before it starts.",
                when=f"{to_local(meeting.starts_at):%Y-%m-%d %H:%M}",
                opens=f"{to_local(rules.attendance_opens_at(meeting)):%Y-%m-%d %H:%M}",
            )
        )
    enrolled = db.session.scalar(
        sa.select(Enrolment.id).where(
            Enrolment.session_id == session.id,
            Enrolment.worker_id == worker_id,
            Enrolment.state == EnrolmentState.enrolled,
        )
    )
    if enrolled is None:
        raise ServiceError(_("Only enrolled workers are marked."))
    row = db.session.scalar(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.worker_id == worker_id)
    )
    if row is None:
        row = Attendance(meeting_id=meeting.id, worker_id=worker_id, mark=value, self_checkin=self_checkin)
        db.session.add(row)
    else:
        row.mark, row.self_checkin = value, self_checkin
    db.session.flush()
    return row


class WrongCode(ServiceError):
    """Any code that does not check this worker in now: unknown, expired, not yet valid, or another
    session's. One answer for all, so that a guess tells nothing (the view counts these)."""

    def __init__(self):
        super().__init__(
            _(
                "This code does not check you in to a meeting of yours now. A code works from 30 minutes "
                "before its meeting until 30 minutes after it ends."
            ),
            "code",
        )


def checkin_meetings(worker_id: int, now: datetime) -> list[Meeting]:
    """Meetings of the worker's sessions (enrolled, not finished) whose check-in window is open."""
    rows = db.session.scalars(
        sa.select(Meeting)
        .join(Enrolment, Enrolment.session_id == Meeting.session_id)
        .join(TrainingSession, TrainingSession.id == Meeting.session_id)
        .where(
            Enrolment.worker_id == worker_id,
            Enrolment.state == EnrolmentState.enrolled,
            TrainingSession.status.not_in(rules.FINISHED),
            Meeting.starts_at <= now + rules.CHECKIN_EARLY,
            Meeting.ends_at >= now - rules.CHECKIN_LATE,
        )
        .order_by(Meeting.starts_at)
    )
    return [m for m in rows if rules.in_checkin_window(m, now)]


def self_checkin(worker_id: int, code: str, now: datetime | None = None) -> Attendance:
    """A worker enters (or scans) the meeting's code during the meeting."""
    now = now or utcnow()
    code = (code or "").strip()
    for meeting in checkin_meetings(worker_id, now):
        if code and secrets.compare_digest(meeting.checkin_code, code):
            value = Mark.late if now > meeting.starts_at + rules.LATE_AFTER else Mark.present
            return mark(meeting, worker_id, value, self_checkin=True, now=now)
    raise WrongCode()


def complete_session(session: TrainingSession, now: datetime | None = None) -> tuple[int, int]:
    """Award the course's credit hours to each enrolled worker who met the threshold, once the
    last meeting has ended."""
    session = _lock(session)
    ensure_not_finished(session)
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
    session = _lock(session)
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
