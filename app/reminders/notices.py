"""In-app notices: created once per (recipient, kind, target, occurrence), read in the header."""

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.timeutil import utcnow
from app.extensions import db
from app.reminders.models import Notice


def notify(user_ids: list[int], kind: str, target: str, occurrence: str, params: dict) -> int:
    """Create the notice for each user who does not have it yet (set-based, idempotent)."""
    if not user_ids:
        return 0
    have = set(
        db.session.scalars(
            sa.select(Notice.user_id).where(
                Notice.user_id.in_(user_ids),
                Notice.kind == kind,
                Notice.target == target,
                Notice.occurrence == occurrence,
            )
        )
    )
    rows = [
        {
            "user_id": uid,
            "kind": kind,
            "target": target,
            "occurrence": occurrence,
            "params": params,
            "created_at": utcnow(),
        }
        for uid in sorted(set(user_ids) - have)
    ]
    if rows:
        db.session.execute(sa.insert(Notice.__table__), rows)
    return len(rows)


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notice.id)).where(Notice.user_id == user_id, Notice.read_at.is_(None))
    )


def notices_for(user_id: int, limit: int = 100) -> list[Notice]:
    return list(
        db.session.scalars(
            sa.select(Notice).where(Notice.user_id == user_id).order_by(Notice.created_at.desc()).limit(limit)
        )
    )


def mark_read(user_id: int, notice_id: int | None = None) -> None:
    stmt = sa.update(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None))
    if notice_id is not None:
        stmt = stmt.where(Notice.id == notice_id)
    db.session.execute(stmt.values(read_at=utcnow()))


def text(notice: Notice) -> str:
    """The notice in the reader's language (rendered when read, not when created)."""
    p = notice.params or {}
    if notice.kind == "session_moved":
        return _(
            "%(course)s (%(session)s) has moved: %(when)s.",
            course=p.get("course", ""),
            session=p.get("session", ""),
            when=p.get("when", ""),
        )
    if notice.kind == "session_cancelled":
        return _(
            "%(course)s (%(session)s) has been cancelled.", course=p.get("course", ""), session=p.get("session", "")
        )
    if notice.kind == "promoted":
        return _(
            "A seat freed up: you are now enrolled in %(course)s (%(session)s).",
            course=p.get("course", ""),
            session=p.get("session", ""),
        )
    return notice.kind
