"""Reads of the bank's results of a batch's payments (paid out, returned, pending), scoped by the
lines given (queries.scoped_lines)."""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.payments.models import BankResult, Outcome, PaymentLine, PaymentResult


@dataclass
class BankResults:
    """A batch's payments by what the bank said: paid out, returned, or not heard of yet."""

    paid: int
    paid_sum: Decimal
    returned: int
    returned_sum: Decimal
    pending: int
    pending_sum: Decimal


def bank_results(lines: sa.Select) -> BankResults:
    sub = lines.where(PaymentLine.outcome == Outcome.paid).subquery()
    status = PaymentResult.status

    def both(value):
        match = status.is_(None) if value is None else status == value
        return (
            sa.func.coalesce(sa.func.sum(sa.case((match, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((match, sub.c.paid), else_=0)), 0),
        )

    row = db.session.execute(
        sa.select(*both(BankResult.paid), *both(BankResult.returned), *both(None))
        .select_from(sub)
        .outerjoin(PaymentResult, PaymentResult.line_id == sub.c.id)
    ).one()
    return BankResults(int(row[0]), Decimal(row[1]), int(row[2]), Decimal(row[3]), int(row[4]), Decimal(row[5]))


def results_of(line_ids: list[int]) -> dict[int, PaymentResult]:
    """The bank's result of each of these lines that has one."""
    found = db.session.scalars(sa.select(PaymentResult).where(PaymentResult.line_id.in_(line_ids or [0])))
    return {r.line_id: r for r in found}


def returns(lines: sa.Select, limit: int = 500) -> list[tuple[PaymentLine, PaymentResult]]:
    """The returned payments of a batch (the batch page lists them with the bank's reason)."""
    sub = lines.where(PaymentLine.outcome == Outcome.paid).subquery()
    return list(
        db.session.execute(
            sa.select(PaymentLine, PaymentResult)
            .join(PaymentResult, PaymentResult.line_id == PaymentLine.id)
            .where(PaymentLine.id.in_(sa.select(sub.c.id)), PaymentResult.status == BankResult.returned)
            .order_by(PaymentLine.id)
            .limit(limit)
        ).all()
    )
