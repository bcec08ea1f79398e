"""Writes of the payments domain: payment batches (one per locked month, never changed).

The carry rule lives here and nowhere else: per worker, net = the run's lines + what the batch
before carried out for them; net > 0 with an account valid on the batch day → paid; net < 0 →
carried as a deduction; net > 0 without an account → carried as payable (an exception).
A payment the bank returned (app/payments/returns.py) is carried in as payable too, by the first
batch made after the return was recorded.
Batches are made in month order, so "the batch before" is always the last one made.
"""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.allowance.models import AllowanceLine, AllowanceRun, RunState
from app.allowance.rules import Month
from app.core.access import district_scope, is_city_payroll_officer
from app.core.forms import EARLIEST_DATE, LATEST_DATE
from app.core.services import ServiceError
from app.core.timeutil import local_today
from app.extensions import db
from app.payments import notices, queries
from app.payments.cards import parse_card_number
from app.payments.models import Bank, BankAccount, BankResult, Outcome, PaymentBatch, PaymentLine, PaymentResult
from app.workers.models import Worker


def make_batch(month: Month, user: User | None) -> PaymentBatch:
    """Make the month's batch from its locked run; flushes, the caller commits."""
    if not is_city_payroll_officer(user):  # a batch pays the whole city at once
        raise ServiceError(_("Only a city-wide payroll officer makes payment batches."), "month")
    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.month == month.first))
    if run is None or run.state != RunState.locked:
        raise ServiceError(_("The run of %(month)s is not locked; lock it before paying it.", month=month), "month")
    one_maker_at_a_time()
    _check_order(month)
    previous = queries.last_batch()
    batch = PaymentBatch(month=month.first, run_id=run.id, made_on=local_today(), made_by=user.id)
    db.session.add(batch)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ServiceError(_("The payment batch of %(month)s has already been made.", month=month), "month") from None
    _take_returns(batch)
    _settle(batch, run, previous)
    notices.tell_about_exceptions(batch)
    return batch


BATCH_LOCK = 914_014  # any number no other advisory lock uses: "issue 14"


def one_maker_at_a_time() -> None:
    """Batches chain (each takes what the one before carried out), so two are never made at once:
    a transaction-scoped lock on PostgreSQL; the month's unique constraint backs it up."""
    if db.session.connection().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": BATCH_LOCK})


def _check_order(month: Month) -> None:
    if queries.batch_for(month) is not None:
        raise ServiceError(_("The payment batch of %(month)s has already been made.", month=month), "month")
    last = queries.last_batch()
    if last is None:
        return
    if last.month > month.first:
        raise ServiceError(
            _(
                "Batches are made in month order and %(last)s already has one; "
                "%(month)s can no longer be paid by a batch.",
                last=f"{last.month:%Y-%m}",
                month=month,
            ),
            "month",
        )
    skipped = db.session.scalar(
        sa.select(sa.func.min(AllowanceRun.month)).where(
            AllowanceRun.state == RunState.locked,
            AllowanceRun.month > last.month,
            AllowanceRun.month < month.first,
        )
    )
    if skipped is not None:
        raise ServiceError(
            _(
                "Make the payment batch of %(earlier)s first: batches are made in month order.",
                earlier=f"{skipped:%Y-%m}",
            ),
            "month",
        )


def _take_returns(batch: PaymentBatch) -> None:
    """Returned payments not yet carried anywhere are carried into this batch (each exactly once:
    the mark is the batch's id, and the lock keeps a return import from landing in between)."""
    db.session.execute(
        sa.update(PaymentResult)
        .where(PaymentResult.status == BankResult.returned, PaymentResult.carried_to_batch_id.is_(None))
        .values(carried_to_batch_id=batch.id)
    )


def _settle(batch: PaymentBatch, run: AllowanceRun, previous: PaymentBatch | None) -> None:
    """Write the batch's rows in one INSERT … SELECT (a month of 40,000 payees never leaves the
    database). The rule, per worker with lines or a carried amount:
    net = lines + carried_in; paid when net > 0 and an account is valid on the batch day; else
    carried out whole (a deduction when negative, payable and an exception when positive)."""
    lines = (
        sa.select(AllowanceLine.worker_id, sa.func.sum(AllowanceLine.amount).label("total"))
        .where(AllowanceLine.run_id == run.id)
        .group_by(AllowanceLine.worker_id)
        .cte("lines")
    )
    before = sa.select(PaymentLine.worker_id, PaymentLine.carried_out.label("amount")).where(
        PaymentLine.batch_id == (previous.id if previous else None), PaymentLine.carried_out != 0
    )
    returned = (
        sa.select(PaymentLine.worker_id, PaymentResult.amount.label("amount"))
        .join(PaymentLine, PaymentLine.id == PaymentResult.line_id)
        .where(PaymentResult.carried_to_batch_id == batch.id)
    )
    both = sa.union_all(before, returned).subquery()
    carried = (
        sa.select(both.c.worker_id, sa.func.sum(both.c.amount).label("carried_out"))
        .group_by(both.c.worker_id)
        .cte("carried")
    )
    who = (
        sa.select(
            sa.func.coalesce(lines.c.worker_id, carried.c.worker_id).label("worker_id"),
            sa.func.coalesce(lines.c.total, 0).label("lines_total"),
            sa.func.coalesce(carried.c.carried_out, 0).label("carried_in"),
        )
        .select_from(lines.join(carried, lines.c.worker_id == carried.c.worker_id, full=True))
        .cte("who")
    )
    account = queries.valid_accounts(batch.made_on).cte("account")
    net = who.c.lines_total + who.c.carried_in
    paying = sa.and_(net > 0, account.c.id.is_not(None))
    outcome = sa.case(
        (paying, Outcome.paid.name),
        (net > 0, Outcome.no_account.name),
        (net < 0, Outcome.deduction.name),
        else_=Outcome.settled.name,
    )
    rows = (
        sa.select(
            sa.literal(batch.id),
            who.c.worker_id,
            Worker.district_id,
            who.c.lines_total,
            who.c.carried_in,
            net,
            sa.case((paying, net), else_=0),
            sa.case((paying, 0), else_=net),
            outcome,
            sa.case((paying, account.c.id)),
            Worker.name,
            Worker.id_number,
            sa.case((paying, account.c.account_no)),
            sa.case((paying, account.c.bank_name)),
        )
        .select_from(who)
        .join(Worker, Worker.id == who.c.worker_id)
        .outerjoin(account, account.c.worker_id == who.c.worker_id)
        .where(sa.or_(who.c.lines_total != 0, who.c.carried_in != 0))
        .order_by(who.c.worker_id)
    )
    columns = [
        "batch_id",
        "worker_id",
        "district_id",
        "lines_total",
        "carried_in",
        "net",
        "paid",
        "carried_out",
        "outcome",
        "account_id",
        "holder_name",
        "id_number",
        "account_no",
        "bank_name",
    ]
    db.session.execute(PaymentLine.__table__.insert().from_select(columns, rows))


def add_account(user, id_number: str, bank_id: int, account_no: str, valid_from: date) -> BankAccount:
    """A worker's account from a date on, added by a coordinator or payroll officer in scope. The
    holder is the worker. A worker outside the user's districts reads as an unknown ID number."""
    worker = db.session.scalar(sa.select(Worker).where(Worker.id_number == id_number))
    scope = district_scope(user)
    if worker is None or (scope is not None and worker.district_id not in scope):
        raise ServiceError(_("No worker with this ID number is among your districts' workers."), "id_number")
    if db.session.get(Bank, bank_id) is None:
        raise ServiceError(_("Choose a bank from the list."), "bank")
    try:
        number = parse_card_number(account_no)
    except ValueError as exc:
        raise ServiceError(str(exc), "account_no") from None
    if not EARLIEST_DATE <= valid_from <= LATEST_DATE:
        raise ServiceError(_("Give a date between 1900 and 2100."), "valid_from")
    taken = sa.select(BankAccount.id).where(BankAccount.worker_id == worker.id, BankAccount.valid_from == valid_from)
    if db.session.scalar(taken):
        raise ServiceError(_("This worker already has an account valid from this date."), "valid_from")
    account = BankAccount(worker_id=worker.id, bank_id=bank_id, account_no=number, valid_from=valid_from)
    db.session.add(account)
    db.session.flush()
    return account
