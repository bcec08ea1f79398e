import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Audited, TimestampMixin, UTCDateTime
from app.core.timeutil import utcnow
from app.extensions import db


class NoticeKind(str, enum.Enum):
    # The four reminders due some days before their event keep their first names; the days are
    # rows now (ReminderOffset, app/reminders/offsets.py), so "3 days" is only the default.
    session_in_3_days = "session_in_3_days"
    session_in_1_day = "session_in_1_day"
    session_moved = "session_moved"
    session_cancelled = "session_cancelled"
    promoted = "promoted"
    exam_registration_open = "exam_registration_open"
    first_registration_due = "first_registration_due"
    registration_expiring_90 = "registration_expiring_90"
    registration_expiring_30 = "registration_expiring_30"
    ce_shortfall = "ce_shortfall"
    run_submitted = "run_submitted"
    allowance_statement = "allowance_statement"
    batch_exceptions = "batch_exceptions"
    batch_returns = "batch_returns"
    payment_returned = "payment_returned"

    @property
    def label(self):
        return KIND_LABELS[self]


KIND_LABELS = {
    NoticeKind.session_in_3_days: _l("Session reminder, first"),
    NoticeKind.session_in_1_day: _l("Session reminder, second"),
    NoticeKind.session_moved: _l("Session moved"),
    NoticeKind.session_cancelled: _l("Session cancelled"),
    NoticeKind.promoted: _l("Promoted from the waitlist"),
    NoticeKind.exam_registration_open: _l("Exam registration open"),
    NoticeKind.first_registration_due: _l("First registration due"),
    NoticeKind.registration_expiring_90: _l("Registration expiring, first reminder"),
    NoticeKind.registration_expiring_30: _l("Registration expiring, second reminder"),
    NoticeKind.ce_shortfall: _l("Continuing-education shortfall"),
    NoticeKind.run_submitted: _l("Allowance run submitted"),
    NoticeKind.allowance_statement: _l("Allowance statement"),
    NoticeKind.batch_exceptions: _l("Payment batch with exceptions"),
    NoticeKind.batch_returns: _l("Payments returned by the bank"),
    NoticeKind.payment_returned: _l("Your payment was returned"),
}


class Notice(db.Model):
    """An in-app notice for one user. The key (recipient, kind, target, occurrence) is unique, so
    the same notice is never created twice, whoever tries and however often."""

    __tablename__ = "notice"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", "target", "occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    target: Mapped[str] = mapped_column(sa.String(64), nullable=False)  # e.g. "session:12"
    occurrence: Mapped[str] = mapped_column(sa.String(64), nullable=False)  # what makes it a new event
    params: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)  # for the text, in any language
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<Notice {self.kind} {self.target} to user {self.user_id}>"


class Channel(str, enum.Enum):
    mail = "mail"
    sms = "sms"


class DeliveryState(str, enum.Enum):
    pending = "pending"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"


class Delivery(db.Model):
    """One notice sent over one channel; unique per (notice, channel), so it is sent once."""

    __tablename__ = "delivery"
    __table_args__ = (
        sa.UniqueConstraint("notice_id", "channel"),
        sa.Index("ix_delivery_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notice.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[Channel] = mapped_column(sa.Enum(Channel, native_enum=False, length=8), nullable=False)
    address: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    state: Mapped[DeliveryState] = mapped_column(
        sa.Enum(DeliveryState, native_enum=False, length=16), nullable=False, default=DeliveryState.pending
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    claim: Mapped[str | None] = mapped_column(sa.String(32))  # which sender holds it right now
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    notice = relationship("Notice", lazy="joined")

    def __repr__(self) -> str:
        return f"<Delivery {self.channel.value} notice={self.notice_id} {self.state.value}>"


class KindSetting(db.Model):
    """An administrator turns a kind of notice off (no row: on)."""

    __tablename__ = "notice_kind_setting"

    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)


class ChannelPreference(db.Model):
    """A user's choice to receive (or not) mail or SMS (no row: yes)."""

    __tablename__ = "channel_preference"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[Channel] = mapped_column(sa.Enum(Channel, native_enum=False, length=8), primary_key=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)


class ReminderOffset(Audited, TimestampMixin, db.Model):
    """How many days before its event a reminder kind is due; an administrator changes it (and
    the audit log keeps each change). No row: the kind's default in app/reminders/offsets.py."""

    __tablename__ = "reminder_offset"
    __table_args__ = (sa.CheckConstraint("days BETWEEN 1 AND 365", name="days_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)  # the audit log names a row by a number
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False, unique=True)
    days: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    def __repr__(self) -> str:
        return f"<ReminderOffset {self.kind}: {self.days} days before>"


class TaskLock(db.Model):
    """Keeps a periodic task from overlapping with itself across worker processes."""

    __tablename__ = "task_lock"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
