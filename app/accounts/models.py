import contextlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.access import Role
from app.core.models import Audited, TimestampMixin, UTCDateTime
from app.extensions import db


def _hasher() -> PasswordHasher:
    """argon2id with the configured cost (the library's defaults unless the config lowers them
    for the test suite)."""
    hasher = current_app.extensions.get("argon2")
    if hasher is None:
        hasher = current_app.extensions["argon2"] = PasswordHasher(**current_app.config.get("ARGON2", {}))
    return hasher


def verify_dummy_password(password: str) -> None:
    """Spend the time of one real verification when there is no usable hash, so that the
    answer's timing does not tell whether an account exists or is active."""
    dummy = current_app.extensions.get("argon2_dummy")
    if dummy is None:
        dummy = current_app.extensions["argon2_dummy"] = _hasher().hash(secrets.token_urlsafe(16))
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher().verify(dummy, password)


user_district = sa.Table(
    "user_district",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("district_id", sa.ForeignKey("district.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Audited, TimestampMixin, db.Model):
    __tablename__ = "user"
    # Sign-ins get entries of their own; the versions change on sign-out and password changes.
    __audit_exclude__ = ("password_hash", "last_login_at", "session_version", "calendar_version")

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=16), nullable=False)
    display_name: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    email: Mapped[str | None] = mapped_column(sa.String(255))
    worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("worker.id", ondelete="SET NULL"), unique=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    city_wide: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    locale: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="zh_CN")
    must_change_password: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of every session's and remember-me cookie's identity: bumping it ends them all.
    session_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1, server_default="1")
    # Part of the calendar feed's address: bumping it makes the old address useless.
    calendar_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1, server_default="1")

    # Loaded when first used (a district-scoped user's scope, the user list), not with the user
    # on every request: most requests are by a worker, the admin or a city-wide officer.
    districts = relationship("District", secondary=user_district, lazy="select", order_by="District.code")
    worker = relationship("Worker", lazy="select")

    @property
    def is_active(self) -> bool:  # flask_login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie."""
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher().hash(password)

    def check_password(self, password: str) -> bool:
        try:
            ok = _hasher().verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok and _hasher().check_needs_rehash(self.password_hash):
            self.set_password(password)
        return ok

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class PasswordResetRequest(TimestampMixin, db.Model):
    """A "forgot password" request, waiting for an admin to set a temporary password."""

    __tablename__ = "password_reset_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")
