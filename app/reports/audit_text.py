"""How the audit log names the terms of the 两委 (see app/core/audit_text.py)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.audit_text import Subject

SUBJECTS = {
    "term": Subject(
        noun=_l("Committee term"),
        name=lambda v: _("Term %(name)s", name=v.get("name", "")),
        fields={"name": _l("Name of the term"), "elected_on": _l("Elected on")},
        search=("name",),
    ),
}
