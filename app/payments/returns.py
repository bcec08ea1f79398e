"""The bank's return file (DOMAIN.md): account_no or id_number, amount, status 成功/失败, reason;
key (batch, account_no). Each row marks one payment of the batch paid or returned.

All or nothing, like every import: every bad row is reported (a payment not in the batch, an
amount that differs from the payment, an unknown status, the same payment twice) and a plan with
any error is never applied. A payment's result is recorded once: a later file may mark payments
still pending, a row repeating a recorded status changes nothing (so re-importing a file is a
no-op), and a row that would turn a paid payment into a returned one (or back) is a row error.

    plan = plan_return(batch, filename, data)        # reads and checks; writes nothing
    if plan.ok:
        counts = apply_return(plan)                  # flushes; the caller commits
"""

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.allowance.rules import Month
from app.core import tabular
from app.core.access import is_city_payroll_officer
from app.core.audit import AuditAction, record
from app.core.bulk import insert_rows
from app.core.identity import InvalidIdentity, parse_id_number
from app.core.importing import ImportKind, RowsPlan, register_import
from app.core.tabular import Column, FileRejected, RowError
from app.core.timeutil import utcnow
from app.extensions import db
from app.payments import notices, queries
from app.payments.models import BankResult, Outcome, PaymentBatch, PaymentLine, PaymentResult
from app.payments.services import one_maker_at_a_time

RETURN_COLUMNS = [
    Column("account_no", "账号", required=False),
    Column("id_number", "身份证号", required=False),
    Column("amount", "金额"),
    Column("status", "状态"),
    Column("reason", "原因", required=False),
]
STATUSES = {
    "成功": BankResult.paid,
    "失败": BankResult.returned,
    "success": BankResult.paid,
    "paid": BankResult.paid,
    "failed": BankResult.returned,
    "failure": BankResult.returned,
    "returned": BankResult.returned,
}
CENT = Decimal("0.01")


@dataclass
class ReturnRow:
    row: int
    line: object  # the batch's payment line (id, worker_id, paid, district_id)
    status: BankResult
    amount: Decimal
    reason: str | None


@dataclass
class ReturnPlan(RowsPlan):
    """inserts: the ReturnRows that mark pending payments; unchanged: rows already recorded so."""

    batch_id: int = 0
    month: str = ""
    filename: str = ""
    seen: dict = field(default_factory=dict)  # line id → the row that names it

    @property
    def returned(self) -> list[ReturnRow]:
        return [r for r in self.inserts if r.status == BankResult.returned]

    def summary(self) -> list[tuple[str, int | str]]:
        returned = self.returned
        return [
            (_("Rows read"), self.total_rows),
            (_("Payments marked paid out"), len(self.inserts) - len(returned)),
            (_("Payments marked returned"), len(returned)),
            (_("Returned amount (carried to the next batch)"), f"{sum((r.amount for r in returned), Decimal(0)):.2f}"),
            (_("Rows already recorded"), self.unchanged),
        ]


def plan_return(
    batch: PaymentBatch, filename: str, data: bytes, allowed_districts: set[int] | None = None
) -> ReturnPlan:
    """Read and check a return file for a batch, writing nothing. A payment to a worker outside
    allowed_districts (None: city-wide) reads as one not in the batch. Raises FileRejected when
    the file cannot be read or names neither the account nor the ID number column."""
    table = tabular.read_table(filename, data, RETURN_COLUMNS)
    present = set(table.rows[0][1])
    if not present & {"account_no", "id_number"}:
        raise FileRejected(_("The file needs the column 账号 (account_no) or 身份证号 (id_number)."))
    plan = ReturnPlan(total_rows=len(table.rows), batch_id=batch.id, month=f"{batch.month:%Y-%m}", filename=filename)
    lines = _Lines(batch, allowed_districts)
    recorded = dict(
        db.session.execute(
            sa.select(PaymentResult.line_id, PaymentResult.status).where(PaymentResult.batch_id == batch.id)
        ).all()
    )
    for number, raw in table.rows:
        row = _parse_row(number, raw, table, lines, plan)
        if row is not None:
            _place(row, recorded, table, plan)
    plan.errors.sort(key=lambda e: e.row)
    return plan


class _Lines:
    """The batch's lines, found by account number (payments) or ID number (any line)."""

    def __init__(self, batch: PaymentBatch, allowed: set[int] | None):
        self.month = f"{batch.month:%Y-%m}"
        query = sa.select(
            PaymentLine.id,
            PaymentLine.worker_id,
            PaymentLine.district_id,
            PaymentLine.paid,
            PaymentLine.outcome,
            PaymentLine.account_no,
            PaymentLine.id_number,
        ).where(PaymentLine.batch_id == batch.id)
        if allowed is not None:
            query = query.where(PaymentLine.district_id.in_(allowed or [0]))
        self.by_account, self.by_id = {}, {}
        for line in db.session.execute(query):
            self.by_id[line.id_number] = line
            if line.outcome == Outcome.paid:
                self.by_account[line.account_no] = line

    def find(self, account_no: str | None, id_number: str | None, table) -> tuple[object, tuple | None]:
        """The payment a row names, or (column, reason) of why there is none."""
        if account_no:
            line = self.by_account.get(account_no)
            if line is None:
                message = _("no payment of the batch of %(month)s went to this account number", month=self.month)
                return None, (table.label("account_no"), message)
            if id_number and line.id_number != id_number:
                return None, (table.label("id_number"), _("the payment to this account went to another ID number"))
            return line, None
        line = self.by_id.get(id_number)
        if line is None:
            message = _("no payment of the batch of %(month)s went to this ID number", month=self.month)
            return None, (table.label("id_number"), message)
        if line.outcome != Outcome.paid:
            message = _(
                "this worker had no payment in the batch of %(month)s (the amount was carried forward)",
                month=self.month,
            )
            return None, (table.label("id_number"), message)
        return line, None


def _parse_row(number: int, raw: dict, table, lines: _Lines, plan: ReturnPlan) -> ReturnRow | None:
    errors, bad = plan.errors, len(plan.errors)
    account_no = id_number = amount = status = reason = None
    try:
        account_no = tabular.code_text(raw.get("account_no")).replace(" ", "") or None
    except ValueError as exc:
        errors.append(RowError(number, table.label("account_no"), str(exc)))
    try:
        text = tabular.code_text(raw.get("id_number"))
        id_number = parse_id_number(text).number if text else None
    except (InvalidIdentity, ValueError) as exc:
        errors.append(RowError(number, table.label("id_number"), str(exc)))
    try:
        amount = tabular.parse_decimal(raw.get("amount"))
    except ValueError as exc:
        errors.append(RowError(number, table.label("amount"), str(exc)))
    try:
        status = tabular.choice(raw.get("status"), STATUSES, lambda: "成功, 失败")
    except ValueError as exc:
        errors.append(RowError(number, table.label("status"), str(exc)))
    try:
        reason = tabular.text(raw.get("reason"), max_length=200, required=False)
    except ValueError as exc:
        errors.append(RowError(number, table.label("reason"), str(exc)))
    if len(errors) > bad:
        return None
    if not account_no and not id_number:
        errors.append(RowError(number, table.label("account_no"), _("give the account number or the ID number")))
        return None
    line, problem = lines.find(account_no, id_number, table)
    if problem is not None:
        errors.append(RowError(number, *problem))
        return None
    if amount.quantize(CENT) != amount or amount != line.paid:
        message = _(
            "%(amount)s differs from the payment of %(paid)s", amount=raw.get("amount"), paid=f"{line.paid:.2f}"
        )
        errors.append(RowError(number, table.label("amount"), message))
        return None
    return ReturnRow(number, line, status, line.paid, reason)


def _place(row: ReturnRow, recorded: dict, table, plan: ReturnPlan) -> None:
    """A new result, one already recorded, or an error (the same payment twice, a changed result)."""
    line_id = row.line.id
    if line_id in plan.seen:
        message = _("the same payment is already in row %(row)d", row=plan.seen[line_id])
        key = "account_no" if "account_no" in table.rows[0][1] else "id_number"
        plan.errors.append(RowError(row.row, table.label(key), message))
        return
    plan.seen[line_id] = row.row
    before = recorded.get(line_id)
    if before is None:
        plan.inserts.append(row)
    elif before == row.status:
        plan.unchanged += 1
    else:
        message = _(
            "this payment is already recorded as %(before)s; a later file cannot change it to %(after)s",
            before=before.label,
            after=row.status.label,
        )
        plan.errors.append(RowError(row.row, table.label("status"), message))


def apply_return(plan: ReturnPlan, filename: str | None = None) -> dict:
    """Record a checked plan's results (flushes; the caller commits) and tell people about the
    returns. Raises FileRejected when another file marked some of its payments since the plan."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    one_maker_at_a_time()  # a batch being made takes the returns recorded so far, never half of them
    line_ids = [r.line.id for r in plan.inserts]
    taken = db.session.scalar(
        sa.select(sa.func.count()).select_from(PaymentResult).where(PaymentResult.line_id.in_(line_ids or [0]))
    )
    if taken:
        raise FileRejected(_("Another file marked some of these payments meanwhile; check the file again."))
    now, name = utcnow(), (filename or plan.filename)[:255]
    insert_rows(
        PaymentResult.__table__,
        [
            {
                "line_id": r.line.id,
                "batch_id": plan.batch_id,
                "status": r.status.name,
                "amount": r.amount,
                "reason": r.reason,
                "filename": name,
                "recorded_at": now,
                "carried_to_batch_id": None,
            }
            for r in plan.inserts
        ],
    )
    returned = plan.returned
    counts = {"paid": len(plan.inserts) - len(returned), "returned": len(returned), "unchanged": plan.unchanged}
    if plan.has_changes:
        record(AuditAction.import_, "payment_batch", plan.batch_id, summary=f"bank return {name}", after=counts)
        notices.tell_about_returns(db.session.get(PaymentBatch, plan.batch_id), returned)
    return counts


# ---- the import pages' kind: the month travels in the staged file's name ("2026-03:回盘.csv") ----


def staged_name(batch: PaymentBatch, filename: str) -> str:
    return f"{batch.month:%Y-%m}:{filename}"


def _plan_staged(staged: str, data: bytes, user) -> ReturnPlan:
    if not is_city_payroll_officer(user):  # the batch and its bank file are the whole city's
        raise FileRejected(_("Only a city-wide payroll officer imports the bank's return files."))
    month, _sep, filename = staged.partition(":")
    try:
        batch = queries.batch_for(Month.parse(month))
    except ValueError:
        batch = None
    if batch is None:
        raise FileRejected(_("There is no payment batch of %(month)s.", month=month))
    return plan_return(batch, filename, data)


def register_return_import() -> None:
    """Called by the factory: the import pages and the job runner find the kind by its name."""
    register_import(
        ImportKind(
            name="bank_return",
            plan=_plan_staged,
            apply=lambda plan, _filename: apply_return(plan),
            done_endpoint="payments.batch_list",
        )
    )
