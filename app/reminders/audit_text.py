"""How the audit log names reminder settings (see app/core/audit_text.py)."""

from flask_babel import lazy_gettext as _l

from app.core.audit_text import Subject, choice
from app.reminders.models import NoticeKind

SUBJECTS = {
    "reminder_offset": Subject(
        noun=_l("Reminder timing"),
        name=lambda v: NoticeKind(v.get("kind")).label if v.get("kind") in NoticeKind._value2member_map_ else "",
        fields={"kind": _l("Kind of notice"), "days": _l("Days before")},
        words={"kind": choice(NoticeKind)},
        link=lambda v: v.page("reminders.admin_deliveries"),
    ),
}
