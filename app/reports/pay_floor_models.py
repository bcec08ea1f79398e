"""The director pay floor's data (DOMAIN.md): each district's urban per-capita disposable income
per year, and each director's monthly base pay."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Audited, TimestampMixin
from app.extensions import db


class DistrictIncome(Audited, TimestampMixin, db.Model):
    """城镇常住居民人均可支配收入 of one district in one year (元 a year)."""

    __tablename__ = "district_income"
    __table_args__ = (
        sa.UniqueConstraint("district_id", "year"),
        sa.CheckConstraint("income > 0", name="income_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("district.id"), nullable=False)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False, index=True)
    income: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2), nullable=False)

    district = relationship("District", lazy="joined")

    def __repr__(self) -> str:
        return f"<DistrictIncome {self.district_id} {self.year} {self.income}>"


class DirectorPay(TimestampMixin, db.Model):
    """A director's base pay for one month (month = its first day). Written by the import only,
    which logs each file it applies."""

    __tablename__ = "director_pay"
    __table_args__ = (
        sa.UniqueConstraint("worker_id", "month"),
        sa.CheckConstraint("pay >= 0", name="pay_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), nullable=False)
    month: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    pay: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2), nullable=False)

    def __repr__(self) -> str:
        return f"<DirectorPay {self.worker_id} {self.month:%Y-%m} {self.pay}>"
