"""How the audit log names courses and sessions (see app/core/audit_text.py)."""

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.audit_text import Subject, choice
from app.exams.levels import Level
from app.training.models import SessionStatus, Track


def _share(value) -> str:
    try:
        return f"{Decimal(str(value)) * 100:.0f}%"
    except InvalidOperation:
        return str(value)


SUBJECTS = {
    "course": Subject(
        noun=_l("Course"),
        name=lambda v: v.get("title", ""),
        fields={
            "track": _l("Track"),
            "target_level": _l("Level it prepares for"),
            "title": _l("Title"),
            "description": _l("Description"),
            "credit_hours": _l("Credit hours"),
            "completion_threshold": _l("Share of meetings needed to complete"),
            "created_by_id": _l("Created by"),
        },
        words={"track": choice(Track), "target_level": choice(Level), "completion_threshold": _share},
        refs={"created_by_id": "user"},
        link=lambda v: v.page("training.course_detail", course_id=v.id),
        search=("title",),
    ),
    "training_session": Subject(
        noun=_l("Training session"),
        name=lambda v: _("%(course)s, session %(session)s", course=v.ref("course_id").label, session=v.get("name", "")),
        fields={
            "course_id": _l("Course"),
            "name": _l("Session name"),
            "venue": _l("Venue"),
            "capacity": _l("Capacity"),
            "district_id": _l("Organised for"),
            "enrol_opens": _l("Enrolment opens"),
            "enrol_closes": _l("Enrolment closes"),
            "status": _l("Status"),
            "completed_at": _l("Completed on"),
        },
        words={"status": choice(SessionStatus)},
        refs={"course_id": "course", "district_id": "district"},
        link=lambda v: v.page("training.session_detail", session_id=v.id),
        search=("name",),
    ),
}
