"""What the payments journeys need done before they start, through the services (the allowance
and payments journeys cover the pages): a month computed, submitted, approved and locked by the
demo's two payroll officers; an account for the demo worker; the batches up to a month.

Call inside the live server's app context. Imported lazily by the fixtures: the app's modules
are loaded once the live server's app exists.
"""

from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import User
from app.allowance import compute, services
from app.allowance.rules import Month
from app.core.timeutil import local_today
from app.extensions import db
from app.payments import queries
from app.payments import services as payments
from app.payments.models import BankAccount
from tests.payments.helpers import bank, card


def payroll_officers() -> tuple[User, User]:
    return tuple(db.session.scalar(sa.select(User).where(User.username == name)) for name in ("payroll1", "payroll2"))


def lock_month(month: Month) -> None:
    """payroll1 computes and submits, payroll2 approves and locks."""
    p1, p2 = payroll_officers()
    run, districts = services.start_compute(month, p1.id)
    db.session.commit()
    for district_id in districts:
        compute.compute_part(run.id, district_id)
        db.session.commit()
    services.finish_if_complete(run.id)
    services.submit(run, p1.id)
    services.approve(run, p2.id)
    services.lock(run, p2.id)
    db.session.commit()


def give_account(worker_id: int) -> None:
    """A valid account since a month ago, unless the worker has one."""
    if not db.session.scalar(sa.select(BankAccount.id).where(BankAccount.worker_id == worker_id)):
        db.session.add(
            BankAccount(
                worker_id=worker_id,
                bank_id=bank().id,
                account_no=card("621700", 19),
                valid_from=local_today() - timedelta(days=31),
            )
        )


def next_month_to_pay(paid_months) -> Month:
    """The latest month the worker is paid in full after the last batch (batches go in order)."""
    last = queries.last_batch()
    months = [m for m in paid_months if last is None or Month.parse(m.month).first > last.month]
    assert months, "the demo worker should be paid in full in some month after the last batch"
    return Month.parse(months[-1].month)


def pay_worker_in(month: Month, worker_id: int) -> None:
    """An account for the worker, the month locked, and every batch up to it made."""
    give_account(worker_id)
    lock_month(month)
    p1, _p2 = payroll_officers()
    for earlier in queries.months_to_pay():  # batches go in month order
        if earlier <= month.first:
            payments.make_batch(Month(earlier), p1)
            db.session.commit()
