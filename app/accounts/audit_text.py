"""How the audit log names user accounts (see app/core/audit_text.py)."""

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.core.access import Role
from app.core.audit_text import Subject, choice


def _name(v) -> str:
    username, display = v.get("username", ""), v.get("display_name", "")
    return f"{display}（{username}）" if display and display != username else username


SUBJECTS = {
    "user": Subject(
        noun=_l("User account"),
        name=_name,
        fields={
            "username": _l("User name"),
            "role": _l("Role"),
            "display_name": _l("Display name"),
            "email": _l("Email"),
            "worker_id": _l("Worker record"),
            "active": _l("Active"),
            "city_wide": _l("City-wide"),
            "locale": _l("Language"),
            "must_change_password": _l("Must choose a new password"),
        },
        words={"role": choice(Role), "locale": lambda v: current_app.config["LANGUAGES"].get(v, v)},
        refs={"worker_id": "worker"},
        link=lambda v: v.page("accounts.user_edit", user_id=v.id),
        search=("username", "display_name"),
    ),
}
