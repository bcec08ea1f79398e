"""Reads of the payments domain, scoped by the user's districts."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.allowance.models import AllowanceRun, RunState
from app.allowance.queries import month_of
from app.allowance.rules import Month
from app.core.access import district_scope
from app.core.services import RecordNotFound
from app.extensions import db
from app.payments.models import Bank, BankAccount, BankResult, Outcome, PaymentBatch, PaymentLine, PaymentResult
from app.workers.models import Worker


def banks() -> list[Bank]:
    return list(db.session.scalars(sa.select(Bank).order_by(Bank.code)))


def batch_for(month: Month) -> PaymentBatch | None:
    return db.session.scalar(sa.select(PaymentBatch).where(PaymentBatch.month == month.first))


def batch_of(text: str) -> PaymentBatch:
    """The batch of a month named in a URL (YYYY-MM); RecordNotFound when there is none."""
    batch = batch_for(month_of(text))
    if batch is None:
        raise RecordNotFound(text)
    return batch


def last_batch() -> PaymentBatch | None:
    return db.session.scalar(sa.select(PaymentBatch).order_by(PaymentBatch.month.desc()).limit(1))


def batches() -> list[PaymentBatch]:
    return list(db.session.scalars(sa.select(PaymentBatch).order_by(PaymentBatch.month.desc())))


def months_to_pay() -> list[date]:
    """Locked months after the last batch (the next one is the one a batch may be made for)."""
    last = last_batch()
    query = sa.select(AllowanceRun.month).where(AllowanceRun.state == RunState.locked)
    if last is not None:
        query = query.where(AllowanceRun.month > last.month)
    return list(db.session.scalars(query.order_by(AllowanceRun.month)))


def months_open_for_a_batch() -> list[date]:
    """The months a batch may be made for now: after a first batch only the next locked month
    (batches follow each other month by month); before it, any locked month, latest first
    (earlier ones were paid before the system)."""
    months = months_to_pay()
    return months[:1] if last_batch() is not None else months[::-1]


def valid_accounts(day: date) -> sa.Select:
    """Each worker's account valid on a day: the latest valid_from ≤ that day (id, worker_id,
    account_no, bank_name)."""
    latest = (
        sa.select(BankAccount.worker_id, sa.func.max(BankAccount.valid_from).label("valid_from"))
        .where(BankAccount.valid_from <= day)
        .group_by(BankAccount.worker_id)
        .subquery()
    )
    return (
        sa.select(BankAccount.id, BankAccount.worker_id, BankAccount.account_no, Bank.name.label("bank_name"))
        .join(
            latest, sa.and_(latest.c.worker_id == BankAccount.worker_id, latest.c.valid_from == BankAccount.valid_from)
        )
        .join(Bank, Bank.id == BankAccount.bank_id)
    )


def scoped_accounts(user) -> sa.Select:
    """Bank accounts of the workers the user may see, newest first per worker."""
    query = (
        sa.select(BankAccount)
        .join(Worker, Worker.id == BankAccount.worker_id)
        .order_by(Worker.name, Worker.id, BankAccount.valid_from.desc())
    )
    scope = district_scope(user)
    if scope is not None:
        query = query.where(Worker.district_id.in_(scope or [0]))
    return query


def scoped_lines(user, batch: PaymentBatch) -> sa.Select:
    query = sa.select(PaymentLine).where(PaymentLine.batch_id == batch.id)
    scope = district_scope(user)
    if scope is not None:
        query = query.where(PaymentLine.district_id.in_(scope or [0]))
    return query


def exceptions(lines: sa.Select, limit: int = 500) -> list[PaymentLine]:
    """The lines carried as payable because the worker has no account (the batch page lists them)."""
    return list(
        db.session.scalars(lines.where(PaymentLine.outcome == Outcome.no_account).order_by(PaymentLine.id).limit(limit))
    )


@dataclass
class Totals:
    """A batch's sums; lines + carried_in = paid + carried_out holds row by row, so also here."""

    workers: int
    lines: Decimal
    carried_in: Decimal
    paid: Decimal
    payments: int
    carried_out: Decimal
    deductions: Decimal
    payable: Decimal
    exceptions: int

    @property
    def reconciles(self) -> bool:
        return self.lines + self.carried_in == self.paid + self.carried_out


def totals(lines: sa.Select) -> Totals:
    sub = lines.subquery()

    def total(column, outcome=None):
        value = column if outcome is None else sa.case((sub.c.outcome == outcome.name, column), else_=0)
        return sa.func.coalesce(sa.func.sum(value), 0)

    def count(outcome):
        return sa.func.coalesce(sa.func.sum(sa.case((sub.c.outcome == outcome.name, 1), else_=0)), 0)

    row = db.session.execute(
        sa.select(
            sa.func.count(),
            total(sub.c.lines_total),
            total(sub.c.carried_in),
            total(sub.c.paid),
            count(Outcome.paid),
            total(sub.c.carried_out),
            total(sub.c.carried_out, Outcome.deduction),
            total(sub.c.carried_out, Outcome.no_account),
            count(Outcome.no_account),
        ).select_from(sub)
    ).one()
    return Totals(
        int(row[0]),
        Decimal(row[1]),
        Decimal(row[2]),
        Decimal(row[3]),
        int(row[4]),
        Decimal(row[5]),
        Decimal(row[6]),
        Decimal(row[7]),
        int(row[8]),
    )


@dataclass
class Cumulative:
    """Every batch up to this one: the sum of all lines = all payments that stayed paid + what is
    carried now + what the bank returned that no batch has carried in yet."""

    lines: Decimal
    paid: Decimal
    carried: Decimal
    returned: Decimal = Decimal(0)

    @property
    def reconciles(self) -> bool:
        return self.lines == self.paid + self.carried + self.returned


def cumulative(user, batch: PaymentBatch) -> Cumulative:
    scope = district_scope(user)
    into = aliased(PaymentBatch)  # the batch a return was carried into: none yet, or one after this
    later = sa.or_(
        PaymentResult.carried_to_batch_id.is_(None),
        sa.exists().where(into.id == PaymentResult.carried_to_batch_id, into.month > batch.month),
    )
    query = (
        sa.select(
            sa.func.coalesce(sa.func.sum(PaymentLine.lines_total), 0),
            sa.func.coalesce(sa.func.sum(PaymentLine.paid), 0),
            sa.func.coalesce(sa.func.sum(sa.case((PaymentBatch.id == batch.id, PaymentLine.carried_out), else_=0)), 0),
        )
        .join(PaymentBatch, PaymentBatch.id == PaymentLine.batch_id)
        .where(PaymentBatch.month <= batch.month)
    )
    returned = (
        sa.select(
            sa.func.coalesce(sa.func.sum(PaymentResult.amount), 0),
            sa.func.coalesce(sa.func.sum(sa.case((later, PaymentResult.amount), else_=0)), 0),
        )
        .join(PaymentLine, PaymentLine.id == PaymentResult.line_id)
        .join(PaymentBatch, PaymentBatch.id == PaymentLine.batch_id)
        .where(PaymentBatch.month <= batch.month, PaymentResult.status == BankResult.returned)
    )
    if scope is not None:
        query = query.where(PaymentLine.district_id.in_(scope or [0]))
        returned = returned.where(PaymentLine.district_id.in_(scope or [0]))
    lines, paid, carried = db.session.execute(query).one()
    all_returned, not_carried = db.session.execute(returned).one()
    return Cumulative(Decimal(lines), Decimal(paid) - Decimal(all_returned), Decimal(carried), Decimal(not_carried))


def paid_rows(batch: PaymentBatch):
    """The bank file's rows, in a fixed order (the batch's own order)."""
    return db.session.execute(
        sa.select(
            PaymentLine.holder_name,
            PaymentLine.account_no,
            PaymentLine.paid,
            PaymentLine.bank_name,
            PaymentLine.id_number,
        )
        .where(PaymentLine.batch_id == batch.id, PaymentLine.outcome == Outcome.paid)
        .order_by(PaymentLine.id)
    ).all()


def my_accounts(worker_id: int) -> list[BankAccount]:
    return list(
        db.session.scalars(
            sa.select(BankAccount).where(BankAccount.worker_id == worker_id).order_by(BankAccount.valid_from.desc())
        )
    )


def my_payments(worker_id: int) -> list[tuple[PaymentBatch, PaymentLine, PaymentResult | None]]:
    """A worker's settlement in each batch with the bank's result of its payment, newest month first."""
    return list(
        db.session.execute(
            sa.select(PaymentBatch, PaymentLine, PaymentResult)
            .join(PaymentLine, PaymentLine.batch_id == PaymentBatch.id)
            .outerjoin(PaymentResult, PaymentResult.line_id == PaymentLine.id)
            .where(PaymentLine.worker_id == worker_id)
            .order_by(PaymentBatch.month.desc())
        ).all()
    )
