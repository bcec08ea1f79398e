"""How the audit log names districts, streets and communities (see app/core/audit_text.py)."""

from flask_babel import lazy_gettext as _l

from app.core.audit_text import Subject
from app.places.models import CommunityType


def _district_page(v):
    return v.page("places.district_detail", district_id=v.id)


def _parent_district_page(v):
    return v.ref("district_id").page("places.district_detail", district_id=v.get("district_id"))


SUBJECTS = {
    "district": Subject(
        noun=_l("District"),
        name=lambda v: f"{v.get('name', '')}（{v.get('code', '')}）",
        fields={"code": _l("District code"), "name": _l("District name"), "kind": _l("District kind")},
        link=_district_page,
        search=("name", "code"),
    ),
    "street": Subject(
        noun=_l("Street / township"),
        name=lambda v: f"{v.ref('district_id').get('name', '')} {v.get('name', '')}".strip(),
        fields={"district_id": _l("District"), "name": _l("Street name")},
        refs={"district_id": "district"},
        link=_parent_district_page,
        search=("name",),
    ),
    "community": Subject(
        noun=_l("Community"),
        name=lambda v: f"{v.get('name', '')}（{v.get('code', '')}）",
        fields={
            "code": _l("Community code"),
            "name": _l("Community name"),
            "street_id": _l("Street / township"),
            "district_id": _l("District"),
            "community_type": _l("Community type"),
        },
        words={"community_type": lambda v: CommunityType(v).label},
        refs={"street_id": "street", "district_id": "district"},
        link=_parent_district_page,
        search=("name", "code"),
    ),
}
