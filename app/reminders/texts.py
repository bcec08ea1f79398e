"""What each kind of notice says, in the reader's language (rendered when read or sent)."""

from flask_babel import gettext as _

from app.reminders.models import KIND_LABELS, NoticeKind


def subject(notice) -> str:
    try:
        return str(KIND_LABELS[NoticeKind(notice.kind)])
    except ValueError:
        return notice.kind


def body(notice) -> str:
    p = dict(notice.params or {})
    kind = notice.kind
    if kind == NoticeKind.session_in_3_days:
        return _("Reminder: %(course)s (%(session)s) starts in 3 days, on %(when)s at %(venue)s.", **_s(p))
    if kind == NoticeKind.session_in_1_day:
        return _("Reminder: %(course)s (%(session)s) starts tomorrow, %(when)s at %(venue)s.", **_s(p))
    if kind == NoticeKind.session_moved:
        return _("%(course)s (%(session)s) has been rescheduled: %(when)s.", **_s(p))
    if kind == NoticeKind.session_cancelled:
        return _("%(course)s (%(session)s) has been cancelled.", **_s(p))
    if kind == NoticeKind.promoted:
        return _("A seat freed up: you are now enrolled in %(course)s (%(session)s).", **_s(p))
    if kind == NoticeKind.exam_registration_open:
        return _(
            "Registration for the %(year)s social work exam is open until %(closes)s.",
            year=p.get("year", ""),
            closes=p.get("closes", ""),
        )
    if kind == NoticeKind.first_registration_due:
        return _(
            "Your %(level)s certificate must be registered for the first time by %(due)s.",
            level=_level(p),
            due=p.get("due", ""),
        )
    if kind in (NoticeKind.registration_expiring_90, NoticeKind.registration_expiring_30):
        return _(
            "The registration of your %(level)s certificate expires on %(date)s; renewal is open.",
            level=_level(p),
            date=p.get("expires", ""),
        )
    if kind == NoticeKind.ce_shortfall:
        return _(
            "Continuing education: %(done)s of %(required)s hours done, and the registration expires on %(date)s.",
            done=p.get("done", ""),
            required=p.get("required", ""),
            date=p.get("expires", ""),
        )
    if kind == NoticeKind.run_submitted:
        return _(
            "The allowance run for %(month)s has been submitted by %(by)s and waits for your approval.",
            month=p.get("month", ""),
            by=p.get("by", ""),
        )
    if kind == NoticeKind.allowance_statement:
        return _(
            "Your professional allowance for %(month)s: %(amount)s yuan.",
            month=p.get("month", ""),
            amount=p.get("amount", ""),
        )
    return kind


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
