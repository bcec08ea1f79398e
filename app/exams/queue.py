"""The review queue: imported rows of people not among the importer's workers wait here to be
matched to a worker or discarded. Nothing here ever creates a worker.

Who sees a row (issue #10): a city-wide user or an admin sees every row; a district coordinator
sees the rows they imported themselves and those imported by district users whose districts all
lie within theirs. Rows of the command line or of city-wide importers are for city-wide users."""

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import User, user_district
from app.core.access import Role, district_scope
from app.core.audit import AuditAction, current_actor_id, record
from app.core.identity import InvalidIdentity, parse_id_number
from app.core.services import RecordNotFound, ServiceError
from app.core.timeutil import utcnow
from app.exams.importers import apply_queued
from app.exams.models import ReviewItem, ReviewState
from app.extensions import db
from app.workers.models import Worker
from app.workers.queries import scoped_workers


def visible_items(user) -> sa.Select:
    """Queue rows this user may see and resolve."""
    query = sa.select(ReviewItem)
    scope = district_scope(user)
    if scope is None:
        return query
    outside = sa.exists().where(user_district.c.user_id == User.id, user_district.c.district_id.not_in(scope or [0]))
    inside = sa.exists().where(user_district.c.user_id == User.id)
    within = sa.select(User.id).where(User.role != Role.admin, ~User.city_wide, inside, ~outside)
    return query.where(sa.or_(ReviewItem.imported_by == user.id, ReviewItem.imported_by.in_(within)))


def get_item(user, item_id: int) -> ReviewItem:
    """A row of the user's queue; one outside it is RecordNotFound (a 404), as if it did not exist."""
    item = db.session.scalar(visible_items(user).where(ReviewItem.id == item_id))
    if item is None:
        raise RecordNotFound(f"review item {item_id}")
    return item


def pending_items(user, limit: int = 500) -> list[ReviewItem]:
    return list(
        db.session.scalars(
            visible_items(user).where(ReviewItem.state == ReviewState.pending).order_by(ReviewItem.id).limit(limit)
        )
    )


def pending_count(user) -> int:
    pending = visible_items(user).where(ReviewItem.state == ReviewState.pending)
    return db.session.scalar(sa.select(sa.func.count()).select_from(pending.subquery()))


def match_id_number(item: ReviewItem, user, id_number: str) -> Worker:
    """Apply a queued row to the worker with this ID number among the user's workers."""
    try:
        number = parse_id_number(id_number).number
    except InvalidIdentity as exc:
        raise ServiceError(str(exc), "id_number") from None
    worker = db.session.scalar(scoped_workers(user).where(Worker.id_number == number))
    if worker is None:
        raise ServiceError(_("No worker with this ID number is in your scope."), "id_number")
    match(item, worker)
    return worker


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
