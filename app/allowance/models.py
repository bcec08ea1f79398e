import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Audited, TimestampMixin, UTCDateTime
from app.exams.levels import Level
from app.exams.models import level_column
from app.extensions import db

MONEY = sa.Numeric(12, 2)


class AllowanceRate(Audited, TimestampMixin, db.Model):
    """A monthly rate for a level, city-wide (district NULL) or for one district, in force from a date."""

    __tablename__ = "allowance_rate"
    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="to_after_from"),
        sa.Index("ix_allowance_rate_lookup", "level", "district_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[Level] = mapped_column(level_column, nullable=False)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    valid_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)

    district = relationship("District")

    def __repr__(self) -> str:
        return f"<AllowanceRate {self.level.value} {self.amount} from {self.valid_from}>"


class AllowancePolicy(Audited, TimestampMixin, db.Model):
    """Switches of the policy, in force from a date (the row in force on a month's first day applies)."""

    __tablename__ = "allowance_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[date] = mapped_column(sa.Date, unique=True, nullable=False)
    registration_required: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        return f"<AllowancePolicy from {self.valid_from} registration_required={self.registration_required}>"


class AllowanceHold(Audited, TimestampMixin, db.Model):
    """Payroll holds a worker's allowance for a month: the line stays, with amount 0 and the reason."""

    __tablename__ = "allowance_hold"
    __table_args__ = (sa.UniqueConstraint("worker_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), nullable=False)
    month: Mapped[date] = mapped_column(sa.Date, nullable=False)  # the first day of the month
    reason: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    worker = relationship("Worker")

    def __repr__(self) -> str:
        return f"<AllowanceHold worker={self.worker_id} {self.month:%Y-%m}>"


class RunState(str, enum.Enum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    locked = "locked"

    @property
    def label(self):
        return RUN_STATE_LABELS[self]


RUN_STATE_LABELS = {
    RunState.draft: _l("Draft"),
    RunState.submitted: _l("Submitted"),
    RunState.approved: _l("Approved"),
    RunState.locked: _l("Locked"),
}


class AllowanceRun(Audited, TimestampMixin, db.Model):
    """One run per month (a database constraint): draft → submitted → approved → locked."""

    __tablename__ = "allowance_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date, unique=True, nullable=False)
    state: Mapped[RunState] = mapped_column(
        sa.Enum(RunState, native_enum=False, length=16), nullable=False, default=RunState.draft
    )
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    computed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    compute_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    parts = relationship("AllowanceRunPart", back_populates="run", cascade="all, delete-orphan")
    events = relationship(
        "AllowanceRunEvent",
        back_populates="run",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(AllowanceRunEvent.at, AllowanceRunEvent.id)",
    )

    def __repr__(self) -> str:
        return f"<AllowanceRun {self.month:%Y-%m} {self.state.value}>"


class RunEventKind(str, enum.Enum):
    computed = "computed"
    submitted = "submitted"
    approved = "approved"
    returned = "returned"
    locked = "locked"
    exported = "exported"

    @property
    def label(self):
        return RUN_EVENT_LABELS[self]


RUN_EVENT_LABELS = {
    RunEventKind.computed: _l("Computed"),
    RunEventKind.submitted: _l("Submitted for approval"),
    RunEventKind.approved: _l("Approved"),
    RunEventKind.returned: _l("Sent back to draft"),
    RunEventKind.locked: _l("Locked"),
    RunEventKind.exported: _l("Exported"),
}


class AllowanceRunEvent(db.Model):
    """The run's timeline: who computed, submitted, approved, sent back, locked and exported it, and when.
    The run's own *_by/*_at columns hold the current state; these rows keep every step."""

    __tablename__ = "allowance_run_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("allowance_run.id", ondelete="CASCADE"), index=True, nullable=False
    )
    kind: Mapped[RunEventKind] = mapped_column(sa.Enum(RunEventKind, native_enum=False, length=16), nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    detail: Mapped[str | None] = mapped_column(sa.String(40))  # e.g. the export's format

    run = relationship("AllowanceRun", back_populates="events")
    user = relationship("User", lazy="joined")

    def __repr__(self) -> str:
        return f"<AllowanceRunEvent run={self.run_id} {self.kind.value}>"


class AllowanceRunPart(db.Model):
    """One district's share of a computation (a Celery task each); its row is the lock that keeps
    two workers from computing the same district at once."""

    __tablename__ = "allowance_run_part"
    __table_args__ = (sa.UniqueConstraint("run_id", "district_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("allowance_run.id", ondelete="CASCADE"), nullable=False)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id"))  # NULL: workers without a post
    done: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    lines: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # For the reaper (app/core/reaper.py): when the part was last sent to the queue, when a worker
    # last took it, and how many times one did.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, server_default="0")

    run = relationship("AllowanceRun", back_populates="parts")


class LineKind(str, enum.Enum):
    allowance = "allowance"
    arrears = "arrears"


class AllowanceLine(db.Model):
    """One worker's line in a run, with its evidence. Allowance lines correct their own month.

    A line is a snapshot of its evidence: level, certificate number, the district's code and
    name, the street, the community, the rate, the days and the formula are copied in when the
    line is computed, so a locked month reads the same after places are renamed or rates edited.
    The place and rate ids are plain references (no foreign key: measured cost in migration
    b7e3d1a90c52); run and worker keep theirs."""

    __tablename__ = "allowance_line"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "worker_id", "kind", "corrects_month"),
        sa.Index("ix_allowance_line_worker", "worker_id", "corrects_month"),
        # the API pages a run's lines in this order (app/api/queries.py run_lines_page)
        sa.Index(
            "ix_allowance_line_run_order",
            "run_id",
            "district_id",
            "street_id",
            "worker_id",
            "kind",
            "corrects_month",
            "id",
            postgresql_include=["part_district_id"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("allowance_run.id", ondelete="CASCADE"), nullable=False)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id"), nullable=False)
    kind: Mapped[LineKind] = mapped_column(sa.Enum(LineKind, native_enum=False, length=16), nullable=False)
    corrects_month: Mapped[date] = mapped_column(sa.Date, nullable=False)
    part_district_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    district_id: Mapped[int | None] = mapped_column(sa.Integer)
    street_id: Mapped[int | None] = mapped_column(sa.Integer)
    community_id: Mapped[int | None] = mapped_column(sa.Integer)
    district_code: Mapped[str | None] = mapped_column(sa.String(6))
    district_name: Mapped[str | None] = mapped_column(sa.String(64))
    street_name: Mapped[str | None] = mapped_column(sa.String(64))
    community_name: Mapped[str | None] = mapped_column(sa.String(64))
    level: Mapped[Level | None] = mapped_column(level_column)
    certificate_no: Mapped[str | None] = mapped_column(sa.String(40))
    rate_id: Mapped[int | None] = mapped_column(sa.Integer)
    rate: Mapped[Decimal | None] = mapped_column(MONEY)
    eligible_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    days_in_month: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    ineligible: Mapped[str | None] = mapped_column(sa.String(24))  # why nothing is due (rules.Ineligible)
    held: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    hold_reason: Mapped[str | None] = mapped_column(sa.String(200))
    formula: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")

    worker = relationship("Worker", lazy="joined")
    district = relationship(
        "District", primaryjoin="foreign(AllowanceLine.district_id) == District.id", lazy="joined", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<AllowanceLine worker={self.worker_id} {self.kind.value} {self.corrects_month:%Y-%m} {self.amount}>"
