"""How the audit log names banks, bank accounts and payment batches (see app/core/audit_text.py)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.audit_text import Subject, month_of
from app.payments.bank_templates import ENCODINGS, FORMATS
from app.payments.cards import mask_card_number


def _account_name(v) -> str:
    worker = v.ref("worker_id")
    return _(
        "Bank account %(number)s of %(name)s",
        number=mask_card_number(v.get("account_no", "")),
        name=worker.get("name", ""),
    )


def _columns_in_words(columns) -> str:
    return " | ".join(c.get("header", "") for c in columns) if isinstance(columns, list) else str(columns)


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
            "template": _l("Bank file template"),
        },
        refs={"made_by": "user", "run_id": "allowance_run"},
        link=lambda v: v.page("payments.batch_detail", month=month_of(v.get("month", ""))),
    ),
    "bank_file_template": Subject(
        noun=_l("Bank file template"),
        name=lambda v: v.get("name", ""),
        fields={
            "name": _l("Name"),
            "bank_id": _l("For the bank"),
            "columns": _l("Columns"),
            "file_format": _l("File format"),
            "encoding": _l("Encoding (CSV)"),
            "header_row": _l("Header row"),
            "totals_row": _l("Totals row"),
            "totals_label": _l("Label of the totals row"),
            "is_default": _l("The default template (used when none is chosen)"),
        },
        words={"columns": _columns_in_words, "file_format": FORMATS.__getitem__, "encoding": ENCODINGS.__getitem__},
        refs={"bank_id": "bank"},
        search=("name",),
        link=lambda v: v.page("payments.bank_template_edit", template_id=v.id),
    ),
}
