"""The audit log: who changed what, when, before and after; and every export of full ID numbers.

Changes to models marked `Audited` are captured by one session listener, so no service can
forget to log. Bulk imports bypass the ORM for speed and write one summary entry instead.
"""

import enum
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.models import Audited, UTCDateTime
from app.core.timeutil import utcnow
from app.extensions import db

# Set by the CLI (`--as USERNAME`) and by Celery tasks; the web uses flask_login's user.
acting_user_id: ContextVar[int | None] = ContextVar("acting_user_id", default=None)


class AuditAction(str, enum.Enum):
    create = "create"
    update = "update"
    delete = "delete"
    export = "export"
    import_ = "import"
    login = "login"


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    entity_type: Mapped[str] = mapped_column(sa.String(40), nullable=False, index=True)
    entity_id: Mapped[int | None] = mapped_column(sa.Integer)
    summary: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    user = db.relationship("User", lazy="joined")

    def __repr__(self) -> str:
        return f"<AuditLog {self.action} {self.entity_type}#{self.entity_id}>"


def current_actor_id() -> int | None:
    actor = acting_user_id.get()
    if actor is not None:
        return actor
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def _client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def plain(value):
    """A column value as the log stores it (and the log's reader compares it)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _entity_name(obj) -> str:
    return obj.__tablename__


def _primary_key(obj) -> int | None:
    # New objects have their key assigned by now, but no identity until the flush ends.
    values = inspect(obj).mapper.primary_key_from_instance(obj)
    return values[0] if values else None


def _columns(obj):
    excluded = set(getattr(obj, "__audit_exclude__", ()))
    return [c for c in inspect(obj).mapper.column_attrs if c.key not in excluded]


def _snapshot(obj) -> dict:
    return {c.key: plain(getattr(obj, c.key)) for c in _columns(obj) if c.key not in ("created_at", "updated_at")}


def _changes(obj) -> tuple[dict, dict]:
    state = inspect(obj)
    before, after = {}, {}
    for col in _columns(obj):
        if col.key in ("created_at", "updated_at"):
            continue
        hist = state.attrs[col.key].history
        if hist.has_changes():
            before[col.key] = plain(hist.deleted[0]) if hist.deleted else None
            after[col.key] = plain(hist.added[0]) if hist.added else None
    return before, after


def record(
    action: AuditAction | str,
    entity_type: str,
    entity_id: int | None = None,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Write one audit entry in the current transaction (it commits with the change)."""
    db.session.add(
        AuditLog(
            action=action.value if isinstance(action, AuditAction) else action,
            entity_type=entity_type,
            entity_id=entity_id,
            summary=summary[:500],
            before=before,
            after=after,
            user_id=current_actor_id(),
            ip=_client_ip(),
        )
    )


_pending_key = "_audit_pending"


@event.listens_for(Session, "before_flush")
def _collect_deletes_and_updates(session, _flush_context, _instances):
    pending = session.info.setdefault(_pending_key, [])
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                pending.append((AuditAction.update, obj, before, after))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            pending.append((AuditAction.delete, obj, _snapshot(obj), None))


@event.listens_for(Session, "after_flush")
def _write_entries(session, _flush_context):
    pending = session.info.pop(_pending_key, [])
    for obj in session.new:
        if isinstance(obj, Audited):
            pending.append((AuditAction.create, obj, None, _snapshot(obj)))
    if not pending:
        return
    actor, ip, now = current_actor_id(), _client_ip(), utcnow()
    rows = [
        {
            "at": now,
            "user_id": actor,
            "action": action.value,
            "entity_type": _entity_name(obj),
            "entity_id": _primary_key(obj),
            "summary": str(obj)[:500],
            "before": before,
            "after": after,
            "ip": ip,
        }
        for action, obj, before, after in pending
    ]
    # Core insert on the flush's own connection: a nested ORM flush is not allowed here.
    session.connection().execute(sa.insert(AuditLog.__table__), rows)
