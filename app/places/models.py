import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Audited, TimestampMixin
from app.extensions import db


class District(Audited, TimestampMixin, db.Model):
    """A county-level unit (区县) with its 6-digit GB/T 2260 code."""

    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(6), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="")

    streets = relationship("Street", back_populates="district", order_by="Street.name")

    def __repr__(self) -> str:
        return f"<District {self.code} {self.name}>"


class Street(Audited, TimestampMixin, db.Model):
    """A street or township (街道/乡镇)."""

    __tablename__ = "street"
    __table_args__ = (sa.UniqueConstraint("district_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("district.id"), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    district = relationship("District", back_populates="streets")
    communities = relationship("Community", back_populates="street", order_by="Community.code")

    def __repr__(self) -> str:
        return f"<Street {self.name}>"


class CommunityType(str, enum.Enum):
    """社区 (urban, with a residents' committee) or 村 (village)."""

    urban = "urban"
    village = "village"

    @property
    def label(self):
        return COMMUNITY_TYPE_LABELS[self]


COMMUNITY_TYPE_LABELS = {CommunityType.urban: _l("Urban community (社区)"), CommunityType.village: _l("Village (村)")}
# What the places file may say in its community_type/类型 column (DOMAIN.md).
COMMUNITY_TYPE_ALIASES = {
    "urban": CommunityType.urban,
    "社区": CommunityType.urban,
    "village": CommunityType.village,
    "村": CommunityType.village,
}


class Community(Audited, TimestampMixin, db.Model):
    """A community or village (社区/村) with a code of its own."""

    __tablename__ = "community"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    street_id: Mapped[int] = mapped_column(sa.ForeignKey("street.id"), nullable=False, index=True)
    # Copied from the street so that district filters need no join.
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("district.id"), nullable=False, index=True)
    community_type: Mapped[CommunityType] = mapped_column(
        sa.Enum(CommunityType, native_enum=False, length=8),
        nullable=False,
        default=CommunityType.urban,
        server_default=CommunityType.urban.value,
    )

    street = relationship("Street", back_populates="communities", lazy="joined")
    district = relationship("District", lazy="joined")

    def __repr__(self) -> str:
        return f"<Community {self.code} {self.name}>"
