"""Reads of user accounts, for the administration pages."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.accounts.models import PasswordResetRequest, User
from app.core.access import Role
from app.extensions import db


def users_matching(q: str, role: Role | None) -> sa.Select:
    """Users whose user name or display name contains `q`, of `role` if given; by role, then name."""
    query = (
        sa.select(User)
        .options(selectinload(User.districts), selectinload(User.worker))
        .order_by(User.role, User.username)
    )
    if q:
        query = query.where(sa.or_(User.username.contains(q), User.display_name.contains(q)))
    if role is not None:
        query = query.where(User.role == role)
    return query


def pending_reset_requests() -> list[PasswordResetRequest]:
    """Password reset requests no administrator has answered yet, oldest first."""
    return list(
        db.session.scalars(
            sa.select(PasswordResetRequest)
            .where(PasswordResetRequest.resolved_at.is_(None))
            .order_by(PasswordResetRequest.created_at)
        )
    )
