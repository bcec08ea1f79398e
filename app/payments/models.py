"""Paying the allowance: banks, workers' bank accounts, and payment batches (one per locked month).

A batch keeps one row per worker with anything to settle (lines in the run or an amount carried
in). Each row holds its own arithmetic: net = lines + carried_in, and net = paid + carried_out,
where carried_in is the worker's carried_out in the batch before. Summed over the batches the
carried amounts cancel, so the sum of all payments + the last carried = the sum of all lines.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Audited, TimestampMixin, UTCDateTime
from app.extensions import db

MONEY = sa.Numeric(12, 2)


class Bank(Audited, TimestampMixin, db.Model):
    __tablename__ = "bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)

    def __repr__(self) -> str:
        return f"<Bank {self.code} {self.name}>"


class BankAccount(Audited, TimestampMixin, db.Model):
    """A worker's account from a date on; the one valid on a day is the latest valid_from ≤ that day."""

    __tablename__ = "bank_account"
    __table_args__ = (sa.UniqueConstraint("worker_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), nullable=False)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("bank.id"), nullable=False)
    account_no: Mapped[str] = mapped_column(sa.String(19), nullable=False)
    valid_from: Mapped[date] = mapped_column(sa.Date, nullable=False)

    worker = relationship("Worker")
    bank = relationship("Bank", lazy="joined")

    def __repr__(self) -> str:
        return f"<BankAccount worker={self.worker_id} from {self.valid_from}>"


class PaymentBatch(Audited, TimestampMixin, db.Model):
    """Made once from a locked run (a database constraint), never changed."""

    __tablename__ = "payment_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date, unique=True, nullable=False)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("allowance_run.id"), unique=True, nullable=False)
    made_on: Mapped[date] = mapped_column(sa.Date, nullable=False)  # accounts valid on this day are used
    made_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    maker = relationship("User")

    def __repr__(self) -> str:
        return f"<PaymentBatch {self.month:%Y-%m}>"


class Outcome(str, enum.Enum):
    paid = "paid"  # a payment of the net
    deduction = "deduction"  # net < 0: carried forward as a deduction
    no_account = "no_account"  # net > 0, no valid account: carried forward as payable (an exception)
    settled = "settled"  # net = 0: nothing to pay or carry

    @property
    def label(self):
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    Outcome.paid: _l("Paid"),
    Outcome.deduction: _l("Deduction carried forward"),
    Outcome.no_account: _l("No valid bank account: carried forward as payable"),
    Outcome.settled: _l("Nothing to pay"),
}


class PaymentLine(db.Model):
    """A worker's settlement in a batch; the payee's name, ID, bank and account are copied in, so
    the bank file made again from the batch is the same file."""

    __tablename__ = "payment_line"
    __table_args__ = (
        sa.UniqueConstraint("batch_id", "worker_id"),
        sa.CheckConstraint("net = lines_total + carried_in", name="net_is_lines_plus_carried"),
        sa.CheckConstraint("net = paid + carried_out", name="net_is_paid_plus_carried"),
        sa.CheckConstraint("paid >= 0", name="paid_not_negative"),
        sa.Index("ix_payment_line_worker", "worker_id", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("payment_batch.id", ondelete="CASCADE"), nullable=False)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id"), nullable=False)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id"), index=True)
    lines_total: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    carried_in: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    net: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    paid: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    carried_out: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    outcome: Mapped[Outcome] = mapped_column(sa.Enum(Outcome, native_enum=False, length=16), nullable=False)
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bank_account.id"))
    holder_name: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    id_number: Mapped[str] = mapped_column(sa.String(18), nullable=False)
    account_no: Mapped[str | None] = mapped_column(sa.String(19))
    bank_name: Mapped[str | None] = mapped_column(sa.String(64))

    def __repr__(self) -> str:
        return f"<PaymentLine batch={self.batch_id} worker={self.worker_id} {self.outcome.value} {self.paid}>"


class BankResult(str, enum.Enum):
    """What the bank's return file says of a payment (no result yet: pending)."""

    paid = "paid"  # 成功: the money arrived
    returned = "returned"  # 失败: the bank sent it back; it carries to the next batch as payable

    @property
    def label(self):
        return RESULT_LABELS[self]


RESULT_LABELS = {BankResult.paid: _l("Paid out"), BankResult.returned: _l("Returned")}


class PaymentResult(db.Model):
    """The bank's word on one payment, recorded once and never changed. A returned payment's amount
    is carried into the first batch made after the return was recorded (carried_to_batch_id), so
    it is paid again once and never lost: paid − returned + carried + returned not yet carried
    = the sum of the lines."""

    __tablename__ = "payment_result"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payment_line.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    batch_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payment_batch.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[BankResult] = mapped_column(sa.Enum(BankResult, native_enum=False, length=16), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    carried_to_batch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("payment_batch.id", ondelete="SET NULL"), index=True
    )

    line = relationship("PaymentLine", foreign_keys=[line_id])

    def __repr__(self) -> str:
        return f"<PaymentResult line={self.line_id} {self.status.value}>"
