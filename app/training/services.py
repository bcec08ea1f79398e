"""Writes for training, one module for what each does: courses, schedule (sessions and meetings),
seats and enrolment with a waitlist, attendance and self check-in, completion. Flush, never
commit; notices are written in the same transaction. This module names them all in one place."""

from app.training.attendance import WrongCode, checkin_meetings, mark, self_checkin
from app.training.completion import complete_session, reopen_session
from app.training.courses import save_course
from app.training.enrolment import bulk_enrol, cancel_enrolment, enrol
from app.training.rules import ensure_not_finished
from app.training.schedule import SessionData, create_session, set_status, update_session
from app.training.seats import promote

__all__ = [
    "SessionData",
    "WrongCode",
    "bulk_enrol",
    "cancel_enrolment",
    "checkin_meetings",
    "complete_session",
    "create_session",
    "enrol",
    "ensure_not_finished",
    "mark",
    "promote",
    "reopen_session",
    "save_course",
    "self_checkin",
    "set_status",
    "update_session",
]
