"""The finance system's API clients and the record of their calls.

A client's token is shown once when it is made; only its SHA-256 is kept. The token is 256
random bits (secrets.token_urlsafe(32)), not a password a person chose, so a fast hash is as
safe as a slow one: nobody can guess 2^256 values, and a slow hash (argon2) would only make
every API call slower, since each request must find its client by the token it carries.
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Audited, TimestampMixin, UTCDateTime
from app.core.timeutil import utcnow
from app.extensions import db


class ApiScope(str, enum.Enum):
    read = "read"  # locked runs and their lines, payment batches and payments
    read_returns = "read+returns"  # the same, and upload of the bank's return files

    @property
    def label(self):
        return SCOPE_LABELS[self]


SCOPE_LABELS = {
    ApiScope.read: _l("Read"),
    ApiScope.read_returns: _l("Read and upload bank returns"),
}


api_client_district = sa.Table(
    "api_client_district",
    db.metadata,
    sa.Column("client_id", sa.ForeignKey("api_client.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("district_id", sa.ForeignKey("district.id", ondelete="CASCADE"), primary_key=True),
)


class ApiClient(Audited, TimestampMixin, db.Model):
    """A system that calls the API; no districts means city-wide."""

    __tablename__ = "api_client"
    __audit_exclude__ = ("token_hash", "last_used_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    token_prefix: Mapped[str] = mapped_column(sa.String(12), nullable=False)  # to recognise a token in the list
    scope: Mapped[ApiScope] = mapped_column(sa.Enum(ApiScope, native_enum=False, length=16), nullable=False)
    full_ids: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    expires_on: Mapped[date] = mapped_column(sa.Date, nullable=False)  # the last day the token works
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    districts = relationship("District", secondary=api_client_district, lazy="selectin", order_by="District.code")

    @property
    def city_wide(self) -> bool:
        return not self.districts

    @property
    def may_upload_returns(self) -> bool:
        return self.scope == ApiScope.read_returns

    def active_on(self, day: date) -> bool:
        return self.revoked_at is None and day <= self.expires_on

    def __repr__(self) -> str:
        return f"<ApiClient {self.name}>"


class ApiCall(db.Model):
    """One call to the API: which client (none: no valid token), the route, the answer's status."""

    __tablename__ = "api_call"
    __table_args__ = (sa.Index("ix_api_call_client_at", "client_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_client.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    route: Mapped[str] = mapped_column(sa.String(120), nullable=False)  # the URL rule, e.g. /api/runs/<month>/lines
    path: Mapped[str] = mapped_column(sa.String(500), nullable=False)  # the path and query string asked for
    status: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    client = relationship("ApiClient")

    def __repr__(self) -> str:
        return f"<ApiCall {self.method} {self.path} {self.status}>"
