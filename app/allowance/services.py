"""Writes for the allowance: rates, policy, holds, runs and their states. Flush, never commit."""

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.allowance import access, queries, run_notices
from app.allowance.models import (
    AllowanceHold,
    AllowanceLine,
    AllowancePolicy,
    AllowanceRate,
    AllowanceRun,
    AllowanceRunEvent,
    AllowanceRunPart,
    RunEventKind,
    RunState,
)
from app.allowance.rules import Month
from app.core.audit import AuditAction, record
from app.core.identity import InvalidIdentity, parse_id_number
from app.core.services import ServiceError
from app.core.timeutil import local_today, utcnow
from app.exams.levels import Level
from app.extensions import db
from app.places.models import District
from app.workers.models import PostPeriod


def month_window() -> tuple[Month | None, Month]:
    """The months that make sense: from the first month anyone was in a post up to next month."""
    first = db.session.scalar(sa.select(sa.func.min(PostPeriod.start_date)))
    return (Month(first.replace(day=1)) if first else None), Month(local_today().replace(day=1)).shift(1)


def check_month(month: Month) -> None:
    """Refuse a month outside month_window() (computing it, holding in it)."""
    first, last = month_window()
    if first is None:
        raise ServiceError(_("Nobody has a post yet, so there is no month to compute."), "month")
    if not first.first <= month.first <= last.first:
        raise ServiceError(
            _(
                "%(month)s is outside the months that can be computed: from %(first)s (the first post) to %(last)s.",
                month=str(month),
                first=str(first),
                last=str(last),
            ),
            "month",
        )


def set_rate(
    level: Level, amount: Decimal, valid_from: date, valid_to: date | None = None, district_code: str | None = None
) -> AllowanceRate:
    """A new rate row; a newer row supersedes an older open-ended one from its own start date."""
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ServiceError(_("An amount cannot be negative and has at most two decimal places."), "amount")
    if valid_to and valid_to < valid_from:
        raise ServiceError(_("The end date must not be before the start date."), "valid_to")
    district_id = None
    if district_code:
        district_id = db.session.scalar(sa.select(District.id).where(District.code == district_code))
        if district_id is None:
            raise ServiceError(_("Unknown district code: %(codes)s", codes=district_code), "district")
    rate = AllowanceRate(
        level=level,
        amount=amount.quantize(Decimal("0.01")),
        valid_from=valid_from,
        valid_to=valid_to,
        district_id=district_id,
    )
    db.session.add(rate)
    db.session.flush()
    return rate


def end_rate(rate: AllowanceRate, valid_to: date) -> AllowanceRate:
    """Set the last day a rate is in force."""
    if valid_to < rate.valid_from:
        raise ServiceError(
            _("The end date must not be before the start date (%(date)s).", date=rate.valid_from.isoformat()),
            "valid_to",
        )
    rate.valid_to = valid_to
    db.session.flush()
    return rate


def supersede_rate(rate: AllowanceRate, amount: Decimal, valid_from: date) -> AllowanceRate:
    """A newer row for the same level and district from `valid_from`; the older one ends the day before."""
    if valid_from <= rate.valid_from:
        raise ServiceError(
            _("A newer rate must start after the one it replaces (%(date)s).", date=rate.valid_from.isoformat()),
            "valid_from",
        )
    if rate.valid_to is not None and valid_from > rate.valid_to + timedelta(days=1):
        raise ServiceError(
            _(
                "This rate ended on %(date)s; add a new rate instead of replacing it.",
                date=rate.valid_to.isoformat(),
            ),
            "valid_from",
        )
    newer = set_rate(rate.level, amount, valid_from, None, rate.district.code if rate.district else None)
    rate.valid_to = valid_from - timedelta(days=1)
    db.session.flush()
    return newer


def set_registration_required(valid_from: date, required: bool) -> AllowancePolicy:
    row = db.session.scalar(sa.select(AllowancePolicy).where(AllowancePolicy.valid_from == valid_from))
    if row is None:
        row = AllowancePolicy(valid_from=valid_from, registration_required=required)
        db.session.add(row)
    else:
        row.registration_required = required
    db.session.flush()
    return row


def _refuse_unless_draft(run: AllowanceRun | None) -> None:
    if run is not None and run.state != RunState.draft:
        raise ServiceError(
            _(
                "The run for %(month)s is %(state)s; it can no longer change.",
                month=f"{run.month:%Y-%m}",
                state=run.state.label,
            )
        )


def hold_in_scope(user, id_number: str, month: Month, reason: str) -> AllowanceHold:
    """Hold the allowance of the worker with this ID number, if they are in the user's scope."""
    try:
        number = parse_id_number(id_number).number
    except InvalidIdentity as exc:
        raise ServiceError(str(exc), "id_number") from None
    worker = queries.scoped_worker_by_id_number(user, number)
    if worker is None:
        raise ServiceError(_("No worker with this ID number is in your scope."), "id_number")
    return add_hold(worker.id, month, reason)


def add_hold(worker_id: int, month: Month, reason: str) -> AllowanceHold:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for the hold."), "reason")
    check_month(month)
    _refuse_unless_draft(queries.run_for(month))
    hold = db.session.scalar(
        sa.select(AllowanceHold).where(AllowanceHold.worker_id == worker_id, AllowanceHold.month == month.first)
    )
    if hold is None:
        hold = AllowanceHold(worker_id=worker_id, month=month.first, reason=reason[:200])
        db.session.add(hold)
    else:
        hold.reason = reason[:200]
    db.session.flush()
    return hold


def remove_hold(hold: AllowanceHold) -> None:
    _refuse_unless_draft(queries.run_for(Month(hold.month)))
    db.session.delete(hold)
    db.session.flush()


def start_compute(month: Month, user_id: int | None) -> tuple[AllowanceRun, list[int | None]]:
    """Open (or reopen) the month's draft for computing; returns its district parts."""
    check_month(month)
    run = queries.run_for(month)
    if run is None:
        try:
            with db.session.begin_nested():
                run = AllowanceRun(month=month.first, state=RunState.draft)
                db.session.add(run)
        except IntegrityError:  # another request created it a moment ago: one run per month
            run = queries.run_for(month)
    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.id == run.id).with_for_update())
    _refuse_unless_draft(run)
    districts = [None, *db.session.scalars(sa.select(District.id).order_by(District.code))]
    existing = {p.district_id: p for p in run.parts}
    for district_id in districts:
        part = existing.get(district_id)
        if part is None:
            run.parts.append(AllowanceRunPart(district_id=district_id, done=False, lines=0))
        else:
            part.done, part.lines, part.finished_at = False, 0, None
    run.compute_started_at, run.computed_at, run.computed_by = utcnow(), None, user_id
    db.session.flush()
    return run, districts


def finish_if_complete(run_id: int) -> bool:
    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.id == run_id).with_for_update())
    if run is None or run.computed_at is not None:
        return False
    if all(p.done for p in run.parts):
        run.computed_at = utcnow()
        _event(run, RunEventKind.computed, run.computed_by, run.computed_at)
        record(
            AuditAction.update,
            "allowance_run",
            run.id,
            summary=f"computed {run.month:%Y-%m}",
            after={"lines": sum(p.lines for p in run.parts)},
        )
        db.session.flush()
        return True
    return False


def submit(run: AllowanceRun, user_id: int) -> AllowanceRun:
    _refuse_unless_draft(run)
    if run.computed_at is None:
        raise ServiceError(_("Compute the run completely before submitting it."))
    run.state, run.submitted_by, run.submitted_at = RunState.submitted, user_id, utcnow()
    _event(run, RunEventKind.submitted, user_id, run.submitted_at)
    db.session.flush()
    run_notices.ask_other_officers_to_approve(run, user_id)
    return run


def approve(run: AllowanceRun, user_id: int) -> AllowanceRun:
    if run.state != RunState.submitted:
        raise ServiceError(_("Only a submitted run can be approved."))
    if access.made_the_run(run, user_id):
        raise ServiceError(_("Another payroll officer must approve this run: you computed or submitted it."))
    run.state, run.approved_by, run.approved_at = RunState.approved, user_id, utcnow()
    _event(run, RunEventKind.approved, user_id, run.approved_at)
    db.session.flush()
    run_notices.settle_request_to_approve(run)
    return run


def return_to_draft(run: AllowanceRun, user_id: int) -> AllowanceRun:
    if run.state not in (RunState.submitted, RunState.approved):
        raise ServiceError(_("Only a submitted or approved run can be sent back to draft."))
    run.state = RunState.draft
    run.submitted_by = run.submitted_at = run.approved_by = run.approved_at = None
    _event(run, RunEventKind.returned, user_id)
    db.session.flush()
    run_notices.settle_request_to_approve(run)
    return run


def lock(run: AllowanceRun, user_id: int) -> AllowanceRun:
    if run.state != RunState.approved:
        raise ServiceError(_("Only an approved run can be locked."))
    run.state, run.locked_by, run.locked_at = RunState.locked, user_id, utcnow()
    _event(run, RunEventKind.locked, user_id, run.locked_at)
    db.session.flush()
    run_notices.send_statements(run)
    return run


def discard(run: AllowanceRun) -> None:
    """Delete a draft run and its lines (e.g. a month computed by mistake). Audited (the audit
    entry names who did it, as every entry does)."""
    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.id == run.id).with_for_update())
    _refuse_unless_draft(run)
    count = db.session.execute(sa.delete(AllowanceLine).where(AllowanceLine.run_id == run.id)).rowcount
    record(
        AuditAction.delete,
        "allowance_run",
        run.id,
        summary=f"discarded the draft for {run.month:%Y-%m} ({count} lines)",
        before={"month": f"{run.month:%Y-%m}", "lines": count},
    )
    db.session.delete(run)
    db.session.flush()


def record_export(run: AllowanceRun, fmt: str, user_id: int | None) -> None:
    _event(run, RunEventKind.exported, user_id, detail=fmt)
    db.session.flush()


def _event(run: AllowanceRun, kind: RunEventKind, user_id: int | None, at=None, detail: str | None = None) -> None:
    db.session.add(AllowanceRunEvent(run_id=run.id, kind=kind, user_id=user_id, at=at or utcnow(), detail=detail))
