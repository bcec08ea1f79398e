"""How the audit log names banks, bank accounts and payment batches (see app/core/audit_text.py)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.audit_text import Subject, month_of
from app.payments.cards import mask_card_number


def _account_name(v) -> str:
    worker = v.ref("worker_id")
    return _(
        "Bank account %(number)s of %(name)s",
        number=mask_card_number(v.get("account_no", "")),
        name=worker.get("name", ""),
    )


SUBJECTS = {
    "bank": Subject(
        noun=_l("Bank"),
        name=lambda v: f"{v.get('name', '')}（{v.get('code', '')}）",
        fields={"code": _l("Bank code"), "name": _l("Bank name")},
        search=("code", "name"),
    ),
    "bank_account": Subject(
        noun=_l("Bank account"),
        name=_account_name,
        fields={
            "worker_id": _l("Worker"),
            "bank_id": _l("Bank"),
            "account_no": _l("Account number"),
            "valid_from": _l("Valid from"),
        },
        words={"account_no": mask_card_number},
        refs={"worker_id": "worker", "bank_id": "bank"},
    ),
    "payment_batch": Subject(
        noun=_l("Payment batch"),
        name=lambda v: _("Payment batch of %(month)s", month=month_of(v.get("month", ""))),
        fields={
            "month": _l("Month"),
            "run_id": _l("Allowance run"),
            "made_on": _l("Made on"),
            "made_by": _l("Made by"),
        },
        refs={"made_by": "user", "run_id": "allowance_run"},
        link=lambda v: v.page("payments.batch_detail", month=month_of(v.get("month", ""))),
    ),
}
