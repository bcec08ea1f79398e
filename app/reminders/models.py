import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.models import UTCDateTime
from app.core.timeutil import utcnow
from app.extensions import db


class NoticeKind(str, enum.Enum):
    session_moved = "session_moved"
    session_cancelled = "session_cancelled"
    promoted = "promoted"


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

    __mapper_args__ = {"eager_defaults": False}

    def __repr__(self) -> str:
        return f"<Notice {self.kind} {self.target} to user {self.user_id}>"
