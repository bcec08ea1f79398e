"""The review queue: imported rows of people not in the registry wait here to be matched to
a worker or discarded. Nothing here ever creates a worker."""

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.audit import AuditAction, current_actor_id, record
from app.core.services import ServiceError
from app.core.timeutil import utcnow
from app.exams.importers import apply_queued
from app.exams.models import ReviewItem, ReviewState
from app.extensions import db


def pending_items(limit: int = 500) -> list[ReviewItem]:
    return list(
        db.session.scalars(
            sa.select(ReviewItem).where(ReviewItem.state == ReviewState.pending).order_by(ReviewItem.id).limit(limit)
        )
    )


def pending_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(ReviewItem.id)).where(ReviewItem.state == ReviewState.pending))


def match(item: ReviewItem, worker) -> ReviewItem:
    if item.state != ReviewState.pending:
        raise ServiceError(_("This row has already been dealt with."))
    apply_queued(item, worker.id)
    item.state, item.worker_id = ReviewState.matched, worker.id
    item.resolved_by, item.resolved_at = current_actor_id(), utcnow()
    record(
        AuditAction.update, "review_item", item.id, summary=f"matched {item.kind} row {item.key} to worker #{worker.id}"
    )
    db.session.flush()
    return item


def discard(item: ReviewItem) -> ReviewItem:
    if item.state != ReviewState.pending:
        raise ServiceError(_("This row has already been dealt with."))
    item.state = ReviewState.discarded
    item.resolved_by, item.resolved_at = current_actor_id(), utcnow()
    record(AuditAction.update, "review_item", item.id, summary=f"discarded {item.kind} row {item.key}")
    db.session.flush()
    return item
