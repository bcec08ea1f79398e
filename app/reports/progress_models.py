"""The talent plan's target (data an admin changes; the plan's name says 10,000)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import Audited, TimestampMixin
from app.extensions import db

DEFAULT_PLAN_NAME = "社区工作者人才培养计划"
DEFAULT_TARGET = 10_000


class TalentPlan(Audited, TimestampMixin, db.Model):
    """One row: the plan's name and how many distinct workers it means to train."""

    __tablename__ = "talent_plan"
    __table_args__ = (sa.CheckConstraint("target > 0", name="target_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    target: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    def __repr__(self) -> str:
        return f"<TalentPlan {self.name} {self.target}>"
