"""What payments tell people, through the reminders' notices (each made once: a notice's key is
(recipient, kind, target, occurrence)):
- payroll officers, when a batch is made with exceptions (workers carried for want of an account)
  and when the bank returns payments; city-wide officers always, a district's officers when it
  has such a worker;
- a worker, when their payment was returned: check the bank account, it is paid again next batch.
"""

from decimal import Decimal

import sqlalchemy as sa

from app.accounts.models import User, user_district
from app.core.access import Role
from app.extensions import db
from app.payments.models import Outcome, PaymentBatch, PaymentLine
from app.reminders import notices

BATCH_EXCEPTIONS = "batch_exceptions"
BATCH_RETURNS = "batch_returns"
PAYMENT_RETURNED = "payment_returned"


def payroll_officers_for(district_ids: set[int]) -> list[int]:
    """Active payroll officers who see any of these districts (the city-wide ones see them all)."""
    in_districts = sa.select(user_district.c.user_id).where(user_district.c.district_id.in_(district_ids or [0]))
    return list(
        db.session.scalars(
            sa.select(User.id).where(
                User.role == Role.payroll,
                User.active.is_(True),
                sa.or_(User.city_wide.is_(True), User.id.in_(in_districts)),
            )
        )
    )


def tell_about_exceptions(batch: PaymentBatch) -> None:
    """A batch made with workers carried forward for want of a valid account."""
    count, amount = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(PaymentLine.carried_out), 0)).where(
            PaymentLine.batch_id == batch.id, PaymentLine.outcome == Outcome.no_account
        )
    ).one()
    if not count:
        return
    districts = set(
        db.session.scalars(
            sa.select(PaymentLine.district_id).where(
                PaymentLine.batch_id == batch.id, PaymentLine.outcome == Outcome.no_account
            )
        )
    )
    month = f"{batch.month:%Y-%m}"
    notices.notify(
        payroll_officers_for(districts),
        BATCH_EXCEPTIONS,
        f"batch:{batch.id}",
        "made",
        {"month": month, "count": count, "amount": f"{Decimal(amount):.2f}"},
    )


def tell_about_returns(batch: PaymentBatch, returned: list) -> None:
    """The bank returned these payments (rows with .line and .reason): payroll officers and each
    worker are told once per payment (the occurrence names the payment)."""
    if not returned:
        return
    month = f"{batch.month:%Y-%m}"
    total = sum((r.amount for r in returned), Decimal(0))
    notices.notify(
        payroll_officers_for({r.line.district_id for r in returned}),
        BATCH_RETURNS,
        f"batch:{batch.id}",
        f"returned:{min(r.line.id for r in returned)}",  # a payment is returned once: a new import, a new notice
        {"month": month, "count": len(returned), "amount": f"{total:.2f}"},
    )
    users = dict(
        db.session.execute(
            sa.select(User.worker_id, User.id).where(
                User.worker_id.in_([r.line.worker_id for r in returned]), User.active.is_(True)
            )
        ).all()
    )
    notices.notify_many(
        [
            (
                users[r.line.worker_id],
                PAYMENT_RETURNED,
                f"payment:{r.line.id}",
                "returned",
                {"month": month, "amount": f"{r.amount:.2f}", "reason": r.reason or ""},
            )
            for r in returned
            if r.line.worker_id in users
        ]
    )
