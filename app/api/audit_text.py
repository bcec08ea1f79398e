"""How the audit log names the API's clients (see app/core/audit_text.py); the factory adds them
to the log's subjects (nothing below the API imports it). The token's hash is never logged."""

from flask_babel import lazy_gettext as _l

from app.api.models import ApiScope
from app.core.audit_text import Subject, choice

SUBJECTS = {
    "api_client": Subject(
        noun=_l("API client"),
        name=lambda v: v.get("name", ""),
        fields={
            "name": _l("Client name"),
            "token_prefix": _l("Token"),
            "scope": _l("Scope"),
            "full_ids": _l("May see full ID and account numbers"),
            "expires_on": _l("Expires on"),
            "created_by": _l("Created by"),
            "revoked_at": _l("Revoked"),
            "revoked_by": _l("Revoked by"),
        },
        words={"scope": choice(ApiScope)},
        refs={"created_by": "user", "revoked_by": "user"},
        link=lambda v: v.page("api_pages.client_detail", client_id=v.id),
        search=("name",),
    ),
}
