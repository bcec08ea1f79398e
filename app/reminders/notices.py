"""Notices: the in-app inbox always, and a delivery by mail and SMS where the user has an address.

Each notice exists once per (recipient, kind, target, occurrence) — a database key — and each
of its deliveries once per channel, so however often a scan or an event runs, nobody is told
twice. Whether a delivery still goes out (kind turned off, user opted out) is decided when it
is sent, so turning something off stops it at once, also for what is already due.
"""

import sqlalchemy as sa

from app.accounts.models import User
from app.core.models import UTCDateTime
from app.core.timeutil import utcnow
from app.extensions import db
from app.reminders.delivery import sms_configured
from app.reminders.models import Channel, Delivery, DeliveryState, Notice
from app.reminders.texts import body
from app.workers.models import Worker


def notify(user_ids: list[int], kind: str, target: str, occurrence: str, params: dict) -> int:
    """Create the notice (and its deliveries) for each user who does not have it yet."""
    return notify_many([(uid, kind, target, occurrence, params) for uid in sorted(set(user_ids))])


def notify_many(items: list[tuple[int, str, str, str, dict]]) -> int:
    """Many notices at once (the due-reminders scan): (user, kind, target, occurrence, params)."""
    if not items:
        return 0
    count = 0
    by_key: dict[tuple[str, str], list] = {}
    for user_id, kind, target, occurrence, params in items:
        by_key.setdefault((kind, occurrence), []).append((user_id, target, params))
    now = utcnow()
    for (kind, occurrence), rows in by_key.items():
        for i in range(0, len(rows), 2000):
            chunk = rows[i : i + 2000]
            have = set(
                db.session.execute(
                    sa.select(Notice.user_id, Notice.target).where(
                        Notice.kind == kind,
                        Notice.occurrence == occurrence,
                        Notice.user_id.in_({uid for uid, _t, _p in chunk}),
                    )
                ).all()
            )
            fresh = []
            for uid, target, params in chunk:
                if (uid, target) not in have:  # also drops a repeat within the same batch
                    have.add((uid, target))
                    fresh.append((uid, target, params))
            if not fresh:
                continue
            created = db.session.execute(
                sa.insert(Notice.__table__).returning(Notice.__table__.c.id, Notice.__table__.c.user_id),
                [
                    {
                        "user_id": uid,
                        "kind": kind,
                        "target": target,
                        "occurrence": occurrence,
                        "params": params,
                        "created_at": now,
                    }
                    for uid, target, params in fresh
                ],
            ).all()
            _add_deliveries(created, now)
            count += len(created)
    return count


def _add_deliveries(created: list, now) -> None:
    """One delivery per channel for which the recipient has an address, one INSERT … SELECT each."""
    columns = ["notice_id", "channel", "address", "state", "attempts", "next_attempt_at", "created_at"]
    at = sa.literal(now, type_=UTCDateTime())
    notice_ids = [nid for nid, _uid in created]
    for i in range(0, len(notice_ids), 5000):
        chunk = notice_ids[i : i + 5000]
        mail = (
            sa.select(
                Notice.id, sa.literal(Channel.mail.name), User.email, sa.literal("pending"), sa.literal(0), at, at
            )
            .join(User, User.id == Notice.user_id)
            .where(Notice.id.in_(chunk), User.email.is_not(None), User.email != "")
        )
        db.session.execute(sa.insert(Delivery.__table__).from_select(columns, mail))
        if sms_configured():
            sms = (
                sa.select(
                    Notice.id, sa.literal(Channel.sms.name), Worker.phone, sa.literal("pending"), sa.literal(0), at, at
                )
                .join(User, User.id == Notice.user_id)
                .join(Worker, Worker.id == User.worker_id)
                .where(Notice.id.in_(chunk), Worker.phone.is_not(None))
            )
            db.session.execute(sa.insert(Delivery.__table__).from_select(columns, sms))


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notice.id)).where(Notice.user_id == user_id, Notice.read_at.is_(None))
    )


def notices_for(user_id: int, limit: int = 100) -> list[Notice]:
    return list(
        db.session.scalars(
            sa.select(Notice)
            .where(Notice.user_id == user_id)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(limit)
        )
    )


def mark_read(user_id: int, notice_id: int | None = None) -> None:
    stmt = sa.update(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None))
    if notice_id is not None:
        stmt = stmt.where(Notice.id == notice_id)
    db.session.execute(stmt.values(read_at=utcnow()))


def settle(kind: str, target: str) -> None:
    """The thing a notice asked for is done (e.g. the run it asked to approve was approved): mark it
    read for every recipient, and skip its deliveries that have not gone out yet."""
    notice_ids = sa.select(Notice.id).where(Notice.kind == kind, Notice.target == target)
    db.session.execute(
        sa.update(Notice).where(Notice.id.in_(notice_ids), Notice.read_at.is_(None)).values(read_at=utcnow())
    )
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.notice_id.in_(notice_ids), Delivery.state == DeliveryState.pending, Delivery.claim.is_(None))
        .values(state=DeliveryState.skipped, last_error="settled: no longer needed")
    )


def text(notice: Notice) -> str:
    return body(notice)
