"""What each kind of notice says, in the reader's language (rendered when read or sent).

A reminder due some days before its event says how many: the days its notice was created with
(app/reminders/offsets.py), so changing an offset changes what later reminders say."""

from collections.abc import Callable

from flask_babel import gettext as _

from app.reminders.models import KIND_LABELS, NoticeKind
from app.reminders.offsets import days_of


def subject(notice) -> str:
    try:
        kind = NoticeKind(notice.kind)
    except ValueError:
        return notice.kind
    days = days_of(kind.value, dict(notice.params or {})) if kind in _SESSION_REMINDERS + _EXPIRING else None
    if kind in _SESSION_REMINDERS:
        return _("Session tomorrow") if days == 1 else _("Session in %(days)s days", days=days)
    if kind in _EXPIRING:
        return _("Registration expiring in %(days)s days", days=days)
    return str(KIND_LABELS[kind])


def body(notice) -> str:
    try:
        write = _BODIES[NoticeKind(notice.kind)]
    except (ValueError, KeyError):
        return notice.kind
    return write(notice.kind, dict(notice.params or {}))


_SESSION_REMINDERS = (NoticeKind.session_in_3_days, NoticeKind.session_in_1_day)
_EXPIRING = (NoticeKind.registration_expiring_90, NoticeKind.registration_expiring_30)


def _session_reminder(kind: str, p: dict) -> str:
    days = days_of(kind, p)
    if days == 1:
        return _("Reminder: %(course)s (%(session)s) starts tomorrow, %(when)s at %(venue)s.", **_s(p))
    return _(
        "Reminder: %(course)s (%(session)s) starts in %(days)s days, on %(when)s at %(venue)s.", days=days, **_s(p)
    )


def _session_moved(_kind: str, p: dict) -> str:
    return _("%(course)s (%(session)s) has been rescheduled: %(when)s.", **_s(p))


def _session_cancelled(_kind: str, p: dict) -> str:
    return _("%(course)s (%(session)s) has been cancelled.", **_s(p))


def _promoted(_kind: str, p: dict) -> str:
    return _("A seat freed up: you are now enrolled in %(course)s (%(session)s).", **_s(p))


def _exam_registration_open(_kind: str, p: dict) -> str:
    return _(
        "Registration for the %(year)s social work exam is open until %(closes)s.",
        year=p.get("year", ""),
        closes=p.get("closes", ""),
    )


def _first_registration_due(_kind: str, p: dict) -> str:
    return _(
        "Your %(level)s certificate must be registered for the first time by %(due)s.",
        level=_level(p),
        due=p.get("due", ""),
    )


def _registration_expiring(_kind: str, p: dict) -> str:
    return _(
        "The registration of your %(level)s certificate expires on %(date)s; renewal is open.",
        level=_level(p),
        date=p.get("expires", ""),
    )


def _ce_shortfall(_kind: str, p: dict) -> str:
    return _(
        "Continuing education: %(done)s of %(required)s hours done, and the registration expires on %(date)s.",
        done=p.get("done", ""),
        required=p.get("required", ""),
        date=p.get("expires", ""),
    )


def _run_submitted(_kind: str, p: dict) -> str:
    return _(
        "The allowance run for %(month)s has been submitted by %(by)s and waits for your approval.",
        month=p.get("month", ""),
        by=p.get("by", ""),
    )


def _allowance_statement(_kind: str, p: dict) -> str:
    return _(
        "Your professional allowance for %(month)s: %(amount)s yuan.",
        month=p.get("month", ""),
        amount=p.get("amount", ""),
    )


def _batch_exceptions(_kind: str, p: dict) -> str:
    return _(
        "The payment batch of %(month)s was made with %(count)s exceptions: %(amount)s yuan carried "
        "forward as payable for workers without a valid bank account.",
        month=p.get("month", ""),
        count=p.get("count", ""),
        amount=p.get("amount", ""),
    )


def _batch_returns(_kind: str, p: dict) -> str:
    return _(
        "The bank returned %(count)s payments of the batch of %(month)s (%(amount)s yuan); they are "
        "carried to the next batch.",
        month=p.get("month", ""),
        count=p.get("count", ""),
        amount=p.get("amount", ""),
    )


def _payment_returned(_kind: str, p: dict) -> str:
    return _(
        "Your allowance payment of %(amount)s yuan for %(month)s was returned by the bank (%(reason)s). "
        "Please check your bank account; the amount will be paid again with the next batch.",
        month=p.get("month", ""),
        amount=p.get("amount", ""),
        reason=p.get("reason", "") or _("no reason given"),
    )


_BODIES: dict[NoticeKind, Callable[[str, dict], str]] = {
    NoticeKind.session_in_3_days: _session_reminder,
    NoticeKind.session_in_1_day: _session_reminder,
    NoticeKind.session_moved: _session_moved,
    NoticeKind.session_cancelled: _session_cancelled,
    NoticeKind.promoted: _promoted,
    NoticeKind.exam_registration_open: _exam_registration_open,
    NoticeKind.first_registration_due: _first_registration_due,
    NoticeKind.registration_expiring_90: _registration_expiring,
    NoticeKind.registration_expiring_30: _registration_expiring,
    NoticeKind.ce_shortfall: _ce_shortfall,
    NoticeKind.run_submitted: _run_submitted,
    NoticeKind.allowance_statement: _allowance_statement,
    NoticeKind.batch_exceptions: _batch_exceptions,
    NoticeKind.batch_returns: _batch_returns,
    NoticeKind.payment_returned: _payment_returned,
}


def _s(p: dict) -> dict:
    return {
        "course": p.get("course", ""),
        "session": p.get("session", ""),
        "when": p.get("when", ""),
        "venue": p.get("venue", ""),
    }


# The name of a qualification level in the reader's language; set by the factory (exams'
# Level labels), so that reminders imports no domain above it.
level_label = None


def _level(p: dict) -> str:
    value = p.get("level", "")
    try:
        return str(level_label(value)) if level_label else value
    except ValueError:
        return value
