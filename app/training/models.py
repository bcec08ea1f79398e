import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Audited, TimestampMixin, UTCDateTime
from app.exams.levels import Level
from app.exams.models import level_column
from app.extensions import db


class Track(str, enum.Enum):
    pre_exam = "pre_exam"
    knowledge = "knowledge"
    backbone = "backbone"

    @property
    def label(self):
        return TRACK_LABELS[self]


TRACK_LABELS = {
    Track.pre_exam: _l("Pre-exam training"),
    Track.knowledge: _l("Social work knowledge training"),
    Track.backbone: _l("Community backbone training"),
}


class Course(Audited, TimestampMixin, db.Model):
    __tablename__ = "course"
    __table_args__ = (
        sa.CheckConstraint("credit_hours > 0", name="credit_hours_positive"),
        sa.CheckConstraint("completion_threshold > 0 AND completion_threshold <= 1", name="threshold_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    track: Mapped[Track] = mapped_column(sa.Enum(Track, native_enum=False, length=16), nullable=False)
    target_level: Mapped[Level | None] = mapped_column(level_column)  # pre-exam training aims at a level
    title: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    credit_hours: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False)
    # share of meetings attended (present or late) needed to complete; 0.8 by default
    completion_threshold: Mapped[Decimal] = mapped_column(sa.Numeric(4, 3), nullable=False, default=Decimal("0.8"))
    # who created it: a district coordinator edits only the courses they created (queries.course_editable)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    sessions = relationship("TrainingSession", back_populates="course", order_by="TrainingSession.id")

    def __repr__(self) -> str:
        return f"<Course {self.title}>"


class SessionStatus(str, enum.Enum):
    planned = "planned"
    open = "open"
    closed = "closed"
    cancelled = "cancelled"
    completed = "completed"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    SessionStatus.planned: _l("Planned"),
    SessionStatus.open: _l("Open for enrolment"),
    SessionStatus.closed: _l("Enrolment closed"),
    SessionStatus.cancelled: _l("Cancelled"),
    SessionStatus.completed: _l("Completed"),
}


class TrainingSession(Audited, TimestampMixin, db.Model):
    """A session (班次) of a course: its meetings, venue, capacity and enrolment window."""

    __tablename__ = "training_session"
    __table_args__ = (sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    venue: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    capacity: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id"), index=True)  # None: city-wide
    enrol_opens: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    enrol_closes: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[SessionStatus] = mapped_column(
        sa.Enum(SessionStatus, native_enum=False, length=16), nullable=False, default=SessionStatus.planned
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    course = relationship("Course", back_populates="sessions", lazy="joined")
    district = relationship("District")
    meetings = relationship(
        "Meeting", back_populates="session", order_by="Meeting.starts_at", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<TrainingSession {self.name}>"


class Meeting(TimestampMixin, db.Model):
    __tablename__ = "meeting"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_session.id", ondelete="CASCADE"), nullable=False, index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    checkin_code: Mapped[str] = mapped_column(sa.String(8), nullable=False, index=True)

    session = relationship("TrainingSession", back_populates="meetings")

    def __repr__(self) -> str:
        return f"<Meeting {self.starts_at:%Y-%m-%d %H:%M}>"


class EnrolmentState(str, enum.Enum):
    enrolled = "enrolled"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class Enrolment(TimestampMixin, db.Model):
    __tablename__ = "enrolment"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "worker_id"),
        sa.Index("ix_enrolment_session_state", "session_id", "state", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_session.id", ondelete="CASCADE"), nullable=False)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), nullable=False, index=True)
    state: Mapped[EnrolmentState] = mapped_column(sa.Enum(EnrolmentState, native_enum=False, length=16), nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)  # arrival order within the session
    completed: Mapped[bool | None] = mapped_column(sa.Boolean)  # set when the session is completed
    hours_awarded: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), nullable=False, default=Decimal("0"))

    worker = relationship("Worker", lazy="joined")
    session = relationship("TrainingSession")

    def __repr__(self) -> str:
        return f"<Enrolment session={self.session_id} worker={self.worker_id} {self.state.value}>"


class Mark(str, enum.Enum):
    present = "present"
    late = "late"
    absent = "absent"


class Attendance(TimestampMixin, db.Model):
    __tablename__ = "attendance"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), nullable=False)
    mark: Mapped[Mark] = mapped_column(sa.Enum(Mark, native_enum=False, length=16), nullable=False)
    self_checkin: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)

    def __repr__(self) -> str:
        return f"<Attendance meeting={self.meeting_id} worker={self.worker_id} {self.mark.value}>"
