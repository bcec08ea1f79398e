"""Statements (工资条): per worker and month, what the batch settled and why.

A statement is read from a batch row (PaymentLine) and the run's lines behind it: each line with
its formula, the amount carried in from the batch before, the net, what was paid and what was
carried on, and the payment's state: paid or returned (with the bank's reason) as the bank's
return file says (PaymentResult), pending until it does. Who may read one is decided here too: a
worker their own only, staff the workers of their districts; to anyone else it does not exist.
"""

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.allowance.models import AllowanceLine, LineKind
from app.core.access import Role, district_scope
from app.core.identity import mask_id_number
from app.core.services import RecordNotFound
from app.extensions import db
from app.payments.cards import mask_card_number
from app.payments.models import BankResult, Outcome, PaymentBatch, PaymentLine, PaymentResult
from app.places.models import Community, District
from app.workers.models import Worker


class PayState(str, enum.Enum):
    paid = "paid"  # the bank confirmed the transfer
    returned = "returned"  # the bank returned it (the reason is shown); it carries to the next batch
    pending = "pending"  # in the bank file, no answer from the bank yet
    carried = "carried"  # nothing was sent: the net was carried forward (a deduction, or no account)
    settled = "settled"  # net 0: nothing to pay or carry

    @property
    def label(self):
        return PAY_STATE_LABELS[self]


PAY_STATE_LABELS = {
    PayState.paid: _l("Paid (confirmed by the bank)"),
    PayState.returned: _l("Returned by the bank"),
    PayState.pending: _l("Sent to the bank, awaiting its result"),
    PayState.carried: _l("Not paid: carried forward"),
    PayState.settled: _l("Nothing to pay"),
}


@dataclass
class StatementLine:
    kind: LineKind
    corrects_month: date
    level_label: str
    formula: str
    held: bool
    hold_reason: str
    amount: Decimal

    @property
    def label(self):
        if self.kind == LineKind.arrears:
            return _l("Arrears for %(month)s", month=f"{self.corrects_month:%Y-%m}")
        return _l("Allowance")


@dataclass
class Statement:
    month: date
    worker_id: int
    district_id: int | None
    name: str
    id_number: str
    district: str
    community: str
    lines_total: Decimal
    carried_in: Decimal
    net: Decimal
    paid: Decimal
    carried_out: Decimal
    outcome: Outcome
    state: PayState
    reason: str  # the bank's reason for a return
    account: str  # masked
    lines: list[StatementLine] = field(default_factory=list)
    returned_in: list[tuple[date, Decimal]] = field(default_factory=list)  # part of carried_in: (month, amount)

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def month_text(self) -> str:
        return f"{self.month:%Y-%m}"


def state_of(line: PaymentLine, result: PaymentResult | None) -> tuple[PayState, str]:
    """Paid or returned as the bank's return file says; pending until it says; carried or settled when
    nothing was sent."""
    if line.outcome == Outcome.paid:
        if result is None:
            return PayState.pending, ""
        if result.status == BankResult.returned:
            return PayState.returned, result.reason or ""
        return PayState.paid, ""
    if line.outcome == Outcome.settled:
        return PayState.settled, ""
    return PayState.carried, ""


def may_read(user, line: PaymentLine) -> bool:
    """A worker reads their own statements; staff those of the workers in their districts."""
    if user.role == Role.worker:
        return user.worker_id is not None and user.worker_id == line.worker_id
    scope = district_scope(user)
    return scope is None or line.district_id in scope


def statement_for(user, batch: PaymentBatch, worker_id: int | None) -> Statement:
    """One worker's statement in a batch; RecordNotFound when they are not in it or not the user's."""
    line = db.session.scalar(
        sa.select(PaymentLine).where(PaymentLine.batch_id == batch.id, PaymentLine.worker_id == worker_id)
    )
    if line is None or not may_read(user, line):
        raise RecordNotFound(worker_id)
    return next(iter(build(batch, [line])))


def statement_by_id_number(batch: PaymentBatch, id_number: str) -> Statement | None:
    """For the CLI (no user): the statement of the worker with this ID number, None if not in the batch."""
    line = db.session.scalar(
        sa.select(PaymentLine).where(PaymentLine.batch_id == batch.id, PaymentLine.id_number == id_number)
    )
    return None if line is None else next(iter(build(batch, [line])))


def district_in_scope(user, district_id: int) -> District:
    scope = district_scope(user)
    district = db.session.get(District, district_id)
    if district is None or (scope is not None and district_id not in scope):
        raise RecordNotFound(district_id)
    return district


def district_lines(batch: PaymentBatch, district_id: int) -> sa.Select:
    """The batch rows of a district's workers, in name order (the order of the printed pages)."""
    return (
        sa.select(PaymentLine)
        .where(PaymentLine.batch_id == batch.id, PaymentLine.district_id == district_id)
        .order_by(PaymentLine.holder_name, PaymentLine.id_number)
    )


def district_statements(user, batch: PaymentBatch, district_id: int) -> Iterator[Statement]:
    """Every statement of a district's workers in a batch, for one PDF (a page each)."""
    district_in_scope(user, district_id)
    rows = list(db.session.scalars(district_lines(batch, district_id)))
    if not rows:
        raise RecordNotFound(district_id)
    return build(batch, rows)


def districts_of(user, batch: PaymentBatch) -> list[tuple[District, int]]:
    """The districts the user may print, with the number of their workers in the batch."""
    query = (
        sa.select(District, sa.func.count(PaymentLine.id))
        .join(PaymentLine, PaymentLine.district_id == District.id)
        .where(PaymentLine.batch_id == batch.id)
        .group_by(District.id)
        .order_by(District.code)
    )
    scope = district_scope(user)
    if scope is not None:
        query = query.where(District.id.in_(scope or [0]))
    return [(d, int(n)) for d, n in db.session.execute(query)]


def build(batch: PaymentBatch, rows: Iterable[PaymentLine]) -> Iterator[Statement]:
    """Statements of these batch rows, with the run's lines and the bank's results read in one query
    each per 1,000 workers."""
    rows = list(rows)
    names = {d.id: d.name for d in db.session.scalars(sa.select(District))}
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        lines = _run_lines(batch.run_id, [r.worker_id for r in chunk])
        results = _results([r.id for r in chunk])
        places = _communities([r.worker_id for r in chunk])
        returns = _returned_in(batch, [r.worker_id for r in chunk])
        for row in chunk:
            statement = _statement(batch, row, lines.get(row.worker_id, []), results.get(row.id), names)
            statement.community = statement.community or places.get(row.worker_id, "")
            statement.returned_in = returns.get(row.worker_id, [])
            yield statement


def _run_lines(run_id: int, worker_ids: list[int]) -> dict[int, list[AllowanceLine]]:
    """The run's lines of these workers that carry money or a hold (ineligible lines are 0.00 and say so
    on the allowance's own page)."""
    query = (
        sa.select(AllowanceLine)
        .where(
            AllowanceLine.run_id == run_id,
            AllowanceLine.worker_id.in_(worker_ids),
            sa.or_(AllowanceLine.amount != 0, AllowanceLine.held),
        )
        .order_by(AllowanceLine.worker_id, AllowanceLine.kind, AllowanceLine.corrects_month)
        .options(sa.orm.raiseload("*"))
    )
    out: dict[int, list[AllowanceLine]] = {}
    for line in db.session.scalars(query):
        out.setdefault(line.worker_id, []).append(line)
    return out


def _communities(worker_ids: list[int]) -> dict[int, str]:
    """Each worker's community today, for a statement whose lines name none (a carried amount only)."""
    query = (
        sa.select(Worker.id, Community.name)
        .join(Community, Community.id == Worker.community_id)
        .where(Worker.id.in_(worker_ids))
    )
    return dict(db.session.execute(query).all())  # a Result has keys(): dict() would read it as a mapping


def _returned_in(batch: PaymentBatch, worker_ids: list[int]) -> dict[int, list[tuple[date, Decimal]]]:
    """Payments the bank returned that this batch carried in again, per worker: (month, amount)."""
    query = (
        sa.select(PaymentLine.worker_id, PaymentBatch.month, PaymentResult.amount)
        .join(PaymentLine, PaymentLine.id == PaymentResult.line_id)
        .join(PaymentBatch, PaymentBatch.id == PaymentLine.batch_id)
        .where(PaymentResult.carried_to_batch_id == batch.id, PaymentLine.worker_id.in_(worker_ids))
        .order_by(PaymentBatch.month)
    )
    out: dict[int, list[tuple[date, Decimal]]] = {}
    for worker_id, month, amount in db.session.execute(query):
        out.setdefault(worker_id, []).append((month, amount))
    return out


def _results(line_ids: list[int]) -> dict[int, PaymentResult]:
    query = sa.select(PaymentResult).where(PaymentResult.line_id.in_(line_ids)).options(sa.orm.raiseload("*"))
    return {r.line_id: r for r in db.session.scalars(query)}


def _statement(batch, row: PaymentLine, lines: list[AllowanceLine], result, names: dict) -> Statement:
    state, reason = state_of(row, result)
    community = next((ln.community_name for ln in lines if ln.community_name), "")
    return Statement(
        month=batch.month,
        worker_id=row.worker_id,
        district_id=row.district_id,
        name=row.holder_name,
        id_number=row.id_number,
        district=names.get(row.district_id, ""),
        community=community or "",
        lines_total=row.lines_total,
        carried_in=row.carried_in,
        net=row.net,
        paid=row.paid,
        carried_out=row.carried_out,
        outcome=row.outcome,
        state=state,
        reason=reason,
        account=f"{row.bank_name or ''} {mask_card_number(row.account_no)}".strip() if row.account_no else "",
        lines=[
            StatementLine(
                kind=ln.kind,
                corrects_month=ln.corrects_month,
                level_label=str(ln.level.label) if ln.level is not None else "",
                formula=ln.formula,
                held=ln.held,
                hold_reason=ln.hold_reason or "",
                amount=ln.amount,
            )
            for ln in lines
        ],
    )
