"""Writes of the payments domain: payment batches (one per locked month, never changed).

The carry rule lives here and nowhere else: per worker, net = the run's lines + what the batch
before carried out for them; net > 0 with an account valid on the batch day → paid; net < 0 →
carried as a deduction; net > 0 without an account → carried as payable (an exception).
Batches are made in month order, so "the batch before" is always the last one made.
"""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.allowance.models import AllowanceLine, AllowanceRun, RunState
from app.allowance.rules import Month
from app.core.access import Role
from app.core.bulk import insert_rows
from app.core.services import ServiceError
from app.core.timeutil import local_today
from app.extensions import db
from app.payments import queries
from app.payments.models import Outcome, PaymentBatch, PaymentLine
from app.workers.models import Worker

ZERO = Decimal("0.00")


def can_make_batches(user) -> bool:
    """A city-wide payroll officer makes batches (a batch pays the whole city at once)."""
    return user is not None and user.role == Role.payroll and bool(user.city_wide)


@dataclass
class Settlement:
    """What one worker gets in a batch (pure arithmetic, see settle)."""

    net: Decimal
    paid: Decimal
    carried_out: Decimal
    outcome: Outcome


def settle(lines_total: Decimal, carried_in: Decimal, has_account: bool) -> Settlement:
    net = lines_total + carried_in
    if net > 0 and has_account:
        return Settlement(net, net, ZERO, Outcome.paid)
    if net > 0:
        return Settlement(net, ZERO, net, Outcome.no_account)
    if net < 0:
        return Settlement(net, ZERO, net, Outcome.deduction)
    return Settlement(net, ZERO, ZERO, Outcome.settled)


def make_batch(month: Month, user: User | None) -> PaymentBatch:
    """Make the month's batch from its locked run; flushes, the caller commits."""
    if not can_make_batches(user):
        raise ServiceError(_("Only a city-wide payroll officer makes payment batches."), "month")
    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.month == month.first))
    if run is None or run.state != RunState.locked:
        raise ServiceError(_("The run of %(month)s is not locked; lock it before paying it.", month=month), "month")
    _one_maker_at_a_time()
    _check_order(month)
    previous = queries.last_batch()
    batch = PaymentBatch(month=month.first, run_id=run.id, made_on=local_today(), made_by=user.id)
    db.session.add(batch)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ServiceError(_("The payment batch of %(month)s has already been made.", month=month), "month") from None
    insert_rows(PaymentLine.__table__, _rows(batch, run, previous))
    return batch


BATCH_LOCK = 914_014  # any number no other advisory lock uses: "issue 14"


def _one_maker_at_a_time() -> None:
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


def _rows(batch: PaymentBatch, run: AllowanceRun, previous: PaymentBatch | None) -> list[dict]:
    lines = dict(
        db.session.execute(
            sa.select(AllowanceLine.worker_id, sa.func.sum(AllowanceLine.amount))
            .where(AllowanceLine.run_id == run.id)
            .group_by(AllowanceLine.worker_id)
        ).all()
    )
    carried = {}
    if previous is not None:
        carried = dict(
            db.session.execute(
                sa.select(PaymentLine.worker_id, PaymentLine.carried_out).where(
                    PaymentLine.batch_id == previous.id, PaymentLine.carried_out != 0
                )
            ).all()
        )
    worker_ids = sorted(wid for wid in set(lines) | set(carried) if lines.get(wid) or carried.get(wid))
    workers = _workers(worker_ids)
    accounts = queries.accounts_valid_on(batch.made_on, worker_ids)
    rows = []
    for wid in worker_ids:
        worker, account = workers[wid], accounts.get(wid)
        lines_total, carried_in = Decimal(lines.get(wid) or ZERO), Decimal(carried.get(wid) or ZERO)
        s = settle(lines_total, carried_in, account is not None)
        paying = s.outcome == Outcome.paid
        rows.append(
            {
                "batch_id": batch.id,
                "worker_id": wid,
                "district_id": worker.district_id,
                "lines_total": lines_total,
                "carried_in": carried_in,
                "net": s.net,
                "paid": s.paid,
                "carried_out": s.carried_out,
                "outcome": s.outcome.name,
                "account_id": account.id if paying else None,
                "holder_name": worker.name,
                "id_number": worker.id_number,
                "account_no": account.account_no if paying else None,
                "bank_name": account.bank_name if paying else None,
            }
        )
    return rows


def _workers(ids: list[int]) -> dict:
    found = {}
    for i in range(0, len(ids), 5000):
        for w in db.session.execute(
            sa.select(Worker.id, Worker.name, Worker.id_number, Worker.district_id).where(
                Worker.id.in_(ids[i : i + 5000])
            )
        ):
            found[w.id] = w
    return found
