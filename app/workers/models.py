import enum
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.identity import mask_id_number
from app.core.models import Audited, TimestampMixin
from app.extensions import db


class PostType(str, enum.Enum):
    head = "head"
    deputy = "deputy"
    member = "member"
    staff = "staff"

    @property
    def label(self):
        return POST_LABELS[self]


POST_LABELS = {
    PostType.head: _l("Secretary / Director"),
    PostType.deputy: _l("Deputy Secretary / Deputy Director"),
    PostType.member: _l("Committee member"),
    PostType.staff: _l("Full-time staff"),
}

# The Chinese names people type in files, as DOMAIN.md lists them.
POST_ALIASES = {
    "head": PostType.head,
    "书记/主任": PostType.head,
    "书记": PostType.head,
    "主任": PostType.head,
    "deputy": PostType.deputy,
    "副书记/副主任": PostType.deputy,
    "副书记": PostType.deputy,
    "副主任": PostType.deputy,
    "member": PostType.member,
    "两委委员": PostType.member,
    "staff": PostType.staff,
    "专职工作人员": PostType.staff,
}

post_type_column = sa.Enum(PostType, native_enum=False, length=16)


class Worker(Audited, TimestampMixin, db.Model):
    """A community worker (社区工作者). Birth date and sex come from the ID number."""

    __tablename__ = "worker"
    __table_args__ = (
        sa.Index("ix_worker_district_name", "district_id", "name", "id"),
        sa.Index("ix_worker_name_id", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(sa.String(18), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    sex: Mapped[str] = mapped_column(sa.String(1), nullable=False)
    birth_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    phone: Mapped[str | None] = mapped_column(sa.String(11), index=True)

    # The latest post period, copied here by workers.services.refresh_current_posts so that
    # the registry list filters and sorts without a join. Never written anywhere else.
    community_id: Mapped[int | None] = mapped_column(sa.ForeignKey("community.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(sa.ForeignKey("street.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id"))
    post_type: Mapped[PostType | None] = mapped_column(post_type_column)
    post_start: Mapped[date | None] = mapped_column(sa.Date)
    post_end: Mapped[date | None] = mapped_column(sa.Date)

    community = relationship("Community", lazy="joined", foreign_keys=[community_id])
    periods = relationship(
        "PostPeriod",
        back_populates="worker",
        order_by="PostPeriod.start_date.desc()",
        cascade="all, delete-orphan",
    )

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    @hybrid_method
    def in_post_on(self, day: date) -> bool:
        """In post on `day`: started on or before it, and not ended before it (one rule, in Python and SQL)."""
        return in_post(self.post_start, self.post_end, day)

    @in_post_on.expression
    def in_post_on(cls, day: date):
        return sa.and_(cls.post_start <= day, sa.or_(cls.post_end.is_(None), cls.post_end >= day))

    def __repr__(self) -> str:
        return f"<Worker {self.name} {mask_id_number(self.id_number)}>"


def in_post(start: date | None, end: date | None, day: date) -> bool:
    """Worker.in_post_on in Python, for a worker read as plain columns (queries.ListedWorker)."""
    return start is not None and start <= day and (end is None or end >= day)


class PostPeriod(Audited, TimestampMixin, db.Model):
    """One period in post at one community with one post type; periods never overlap."""

    __tablename__ = "post_period"
    __table_args__ = (
        sa.UniqueConstraint("worker_id", "start_date"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), nullable=False)
    community_id: Mapped[int] = mapped_column(sa.ForeignKey("community.id"), nullable=False, index=True)
    post_type: Mapped[PostType] = mapped_column(post_type_column, nullable=False)
    start_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    end_date: Mapped[date | None] = mapped_column(sa.Date)

    worker = relationship("Worker", back_populates="periods")
    community = relationship("Community", lazy="joined")

    def __repr__(self) -> str:
        return f"<PostPeriod worker={self.worker_id} {self.start_date}..{self.end_date or ''}>"
