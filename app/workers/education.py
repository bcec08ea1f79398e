"""Education (学历) per worker, with the date obtained. The level on a date is the highest
obtained by then; a record without a date counts as held before any date a report asks about.

It lives with the worker (not in reports) because the worker's record and the registry show it,
and reports read it from here: domains form a tree.
"""

import enum
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import Audited, TimestampMixin
from app.extensions import db


class EducationLevel(str, enum.Enum):
    """In rank order, lowest first."""

    junior = "junior"
    senior_secondary = "senior_secondary"
    college = "college"
    bachelor = "bachelor"
    postgraduate = "postgraduate"

    @property
    def label(self):
        return EDUCATION_LABELS[self]


EDUCATION_LABELS = {
    EducationLevel.junior: _l("Junior secondary or below"),
    EducationLevel.senior_secondary: _l("Senior secondary / vocational secondary"),
    EducationLevel.college: _l("College (associate degree)"),
    EducationLevel.bachelor: _l("Bachelor"),
    EducationLevel.postgraduate: _l("Postgraduate"),
}

# 大专 or higher: the figure the department reports.
COLLEGE_OR_HIGHER = (EducationLevel.college, EducationLevel.bachelor, EducationLevel.postgraduate)

# What people type in the education file: the English key or the Chinese name (DOMAIN.md).
EDUCATION_ALIASES = {level.value: level for level in EducationLevel} | {
    "初中及以下": EducationLevel.junior,
    "初中": EducationLevel.junior,
    "小学": EducationLevel.junior,
    "高中/中专": EducationLevel.senior_secondary,
    "高中·中专": EducationLevel.senior_secondary,
    "高中": EducationLevel.senior_secondary,
    "中专": EducationLevel.senior_secondary,
    "大专": EducationLevel.college,
    "本科": EducationLevel.bachelor,
    "研究生": EducationLevel.postgraduate,
    "硕士": EducationLevel.postgraduate,
    "博士": EducationLevel.postgraduate,
}
EDUCATION_CHOICES = "junior/初中及以下, senior_secondary/高中·中专, college/大专, bachelor/本科, postgraduate/研究生"


class Education(Audited, TimestampMixin, db.Model):
    """One level a worker holds; the file's key is (id_number, education)."""

    __tablename__ = "education"
    __table_args__ = (sa.UniqueConstraint("worker_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), nullable=False)
    level: Mapped[EducationLevel] = mapped_column(sa.Enum(EducationLevel, native_enum=False, length=20), nullable=False)
    obtained_on: Mapped[date | None] = mapped_column(sa.Date)

    def __repr__(self) -> str:
        return f"<Education worker={self.worker_id} {self.level.value} {self.obtained_on or ''}>"
