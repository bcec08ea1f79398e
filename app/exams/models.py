import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Audited, TimestampMixin, UTCDateTime
from app.exams.levels import Level
from app.exams.rules import DEFAULT_PASS_MARK
from app.extensions import db

level_column = sa.Enum(Level, native_enum=False, length=16)


class ExamYear(Audited, TimestampMixin, db.Model):
    """One year's national exam: its dates and the pass mark of each subject (data, not code)."""

    __tablename__ = "exam_year"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, unique=True, nullable=False)
    exam_date: Mapped[date | None] = mapped_column(sa.Date)
    results_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    registration_opens: Mapped[date | None] = mapped_column(sa.Date)
    registration_closes: Mapped[date | None] = mapped_column(sa.Date)

    pass_marks = relationship(
        "PassMark", back_populates="exam_year", cascade="all, delete-orphan", order_by="PassMark.subject"
    )

    def pass_mark(self, subject: str) -> Decimal:
        for mark in self.pass_marks:
            if mark.subject == subject:
                return mark.mark
        return DEFAULT_PASS_MARK

    def __repr__(self) -> str:
        return f"<ExamYear {self.year}>"


class PassMark(Audited, db.Model):
    __tablename__ = "pass_mark"
    __table_args__ = (sa.UniqueConstraint("exam_year_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_year_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_year.id", ondelete="CASCADE"), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    mark: Mapped[Decimal] = mapped_column(sa.Numeric(4, 1), nullable=False)

    exam_year = relationship("ExamYear", back_populates="pass_marks")

    def __repr__(self) -> str:
        return f"<PassMark {self.subject} {self.mark}>"


class ExamResult(Audited, TimestampMixin, db.Model):
    """A score in one subject of one exam year. `passed` is kept in step with the year's pass mark."""

    __tablename__ = "exam_result"
    __table_args__ = (
        sa.UniqueConstraint("worker_id", "exam_year_id", "subject"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), nullable=False)
    exam_year_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_year.id"), nullable=False, index=True)
    subject: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    score: Mapped[Decimal] = mapped_column(sa.Numeric(4, 1), nullable=False)
    passed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)

    exam_year = relationship("ExamYear", lazy="joined")

    def __repr__(self) -> str:
        return f"<ExamResult worker={self.worker_id} {self.subject} {self.score}>"


class SeniorReview(Audited, TimestampMixin, db.Model):
    """The review (评审) that completes the senior level after S1 is passed."""

    __tablename__ = "senior_review"
    __table_args__ = (sa.UniqueConstraint("worker_id", "review_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), nullable=False)
    review_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    passed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)

    def __repr__(self) -> str:
        return f"<SeniorReview worker={self.worker_id} {self.review_date} {self.passed}>"


class QualificationSource(str, enum.Enum):
    computed = "computed"  # by the engine, from results and reviews
    imported = "imported"  # a historical certificate, taken as given


class Qualification(Audited, TimestampMixin, db.Model):
    __tablename__ = "qualification"
    __table_args__ = (sa.UniqueConstraint("worker_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), nullable=False)
    level: Mapped[Level] = mapped_column(level_column, nullable=False)
    obtained_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    certificate_no: Mapped[str | None] = mapped_column(sa.String(40))
    source: Mapped[QualificationSource] = mapped_column(
        sa.Enum(QualificationSource, native_enum=False, length=16), nullable=False
    )
    # What completed it: {"years": {subject: year}} or {"review": date, "exam_year": year}
    evidence: Mapped[dict | None] = mapped_column(sa.JSON)

    def __repr__(self) -> str:
        return f"<Qualification worker={self.worker_id} {self.level.value} {self.obtained_on}>"


class Registration(Audited, TimestampMixin, db.Model):
    """A registration (登记) of a level's certificate; valid three years unless given."""

    __tablename__ = "registration"
    __table_args__ = (
        sa.UniqueConstraint("worker_id", "level", "registered_on"),
        sa.CheckConstraint("expires_on >= registered_on", name="expires_after_registered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), nullable=False)
    level: Mapped[Level] = mapped_column(level_column, nullable=False)
    registered_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    expires_on: Mapped[date] = mapped_column(sa.Date, nullable=False)

    def __repr__(self) -> str:
        return f"<Registration worker={self.worker_id} {self.level.value} {self.registered_on}..{self.expires_on}>"


class CERecord(Audited, TimestampMixin, db.Model):
    """External continuing education (继续教育), counted when it has proof."""

    __tablename__ = "ce_record"
    __table_args__ = (
        sa.UniqueConstraint("worker_id", "date", "description"),
        sa.CheckConstraint("hours > 0", name="hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), nullable=False)
    date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    proof: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")

    def __repr__(self) -> str:
        return f"<CERecord worker={self.worker_id} {self.date} {self.hours}h>"


class ReviewState(str, enum.Enum):
    pending = "pending"
    matched = "matched"
    discarded = "discarded"


class ReviewItem(TimestampMixin, db.Model):
    """An imported row whose ID number is not among the importer's workers (not in the registry,
    or outside the importer's districts): it waits for a coordinator to match it to a worker or
    discard it. It never creates a worker. Each importer's rows are their own (issue #10)."""

    __tablename__ = "review_item"
    __table_args__ = (sa.UniqueConstraint("kind", "id_number", "key", "imported_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    id_number: Mapped[str] = mapped_column(sa.String(18), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    key: Mapped[str] = mapped_column(sa.String(80), nullable=False)  # the row's key within its kind
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    # Whose file it came from: the queue shows a district coordinator only rows of importers
    # within their districts. None (the command line, older rows): city-wide users only.
    imported_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    state: Mapped[ReviewState] = mapped_column(
        sa.Enum(ReviewState, native_enum=False, length=16), nullable=False, default=ReviewState.pending, index=True
    )
    worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("worker.id", ondelete="SET NULL"))
    resolved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<ReviewItem {self.kind} {self.key} {self.state.value}>"
