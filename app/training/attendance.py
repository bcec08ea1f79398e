"""Writes for attendance: a coordinator's marks, and a worker's self check-in by the meeting's code."""

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.services import ServiceError
from app.core.timeutil import to_local, utcnow
from app.extensions import db
from app.training import rules
from app.training.models import Attendance, Enrolment, EnrolmentState, Mark, Meeting, TrainingSession


def mark(
    meeting: Meeting, worker_id: int, value: Mark, self_checkin: bool = False, now: datetime | None = None
) -> Attendance:
    session = meeting.session
    rules.ensure_not_finished(session)
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
