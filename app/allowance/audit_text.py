"""How the audit log names allowance rates, policies, holds and runs (see app/core/audit_text.py)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.allowance.models import RunState
from app.core.audit_text import Subject, choice, month_of
from app.exams.levels import Level


def _rate_name(v) -> str:
    name = _("%(level)s rate from %(date)s", level=v.shown("level"), date=v.get("valid_from", ""))
    district = v.ref("district_id")
    return f"{name}（{district.get('name', '')}）" if v.get("district_id") else name


def _run_page(v):
    return v.page("allowance.run_detail", month=month_of(v.get("month", "")))


SUBJECTS = {
    "allowance_rate": Subject(
        noun=_l("Allowance rate"),
        name=_rate_name,
        fields={
            "level": _l("Level"),
            "district_id": _l("District"),
            "amount": _l("Amount (yuan per month)"),
            "valid_from": _l("In force from"),
            "valid_to": _l("In force until"),
        },
        words={"level": choice(Level)},
        refs={"district_id": "district"},
        link=lambda v: v.page("allowance.rate_edit", rate_id=v.id),
    ),
    "allowance_policy": Subject(
        noun=_l("Allowance policy"),
        name=lambda v: _("Allowance policy from %(date)s", date=v.get("valid_from", "")),
        fields={
            "valid_from": _l("In force from"),
            "registration_required": _l("A registration is required to be paid"),
        },
    ),
    "allowance_hold": Subject(
        noun=_l("Allowance hold"),
        name=lambda v: _(
            "%(worker)s, hold for %(month)s", worker=v.ref("worker_id").label, month=month_of(v.get("month", ""))
        ),
        fields={"worker_id": _l("Community worker"), "month": _l("Month"), "reason": _l("Reason")},
        words={"month": month_of},
        refs={"worker_id": "worker"},
        link=lambda v: v.ref("worker_id").page("workers.worker_detail", worker_id=v.get("worker_id")),
    ),
    "allowance_run": Subject(
        noun=_l("Allowance run"),
        name=lambda v: _("Allowance for %(month)s", month=month_of(v.get("month", ""))),
        fields={
            "month": _l("Month"),
            "state": _l("State"),
            "computed_at": _l("Computed at"),
            "computed_by": _l("Computed by"),
            "compute_started_at": _l("Computing started at"),
            "submitted_by": _l("Submitted by"),
            "submitted_at": _l("Submitted at"),
            "approved_by": _l("Approved by"),
            "approved_at": _l("Approved at"),
            "locked_by": _l("Locked by"),
            "locked_at": _l("Locked at"),
        },
        words={"month": month_of, "state": choice(RunState)},
        refs={"computed_by": "user", "submitted_by": "user", "approved_by": "user", "locked_by": "user"},
        link=_run_page,
    ),
}
