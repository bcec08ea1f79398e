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
    "district_income": Subject(
        noun=_l("District income"),
        name=lambda v: _(
            "%(district)s, %(year)s", district=v.ref("district_id").get("name", ""), year=v.get("year", "")
        ),
        fields={"district_id": _l("District"), "year": _l("Year"), "income": _l("Urban per-capita disposable income")},
        refs={"district_id": "district"},
        link=lambda v: v.page("reports.income_list"),
    ),
    "talent_plan": Subject(
        noun=_l("Talent plan"),
        name=lambda v: v.get("name", ""),
        fields={"name": _l("Plan name"), "target": _l("Target (workers)")},
        link=lambda v: v.page("reports.progress"),
    ),
}
