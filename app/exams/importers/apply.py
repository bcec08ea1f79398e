"""Applying an exam import: the kind writes the records of known workers, the rows of people not
found go to (or update) the importer's review queue, and the import is audited. Also a queued row
that a coordinator matched to a worker, applied as the import would have."""

import sqlalchemy as sa

from app.core.audit import AuditAction, record
from app.core.bulk import insert_rows
from app.core.timeutil import utcnow
from app.exams.importers.base import Changes, Kind, Plan, Row
from app.exams.importers.plan import imported_by
from app.exams.models import ReviewItem, ReviewState
from app.extensions import db

KINDS: dict[str, Kind] = {}  # by name; each kind's module adds itself (see register.py)


def apply_import(kind: Kind, plan: Plan, filename: str) -> dict:
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    kind.write(Changes(plan.inserts, plan.updates, filename))
    _queue(kind, plan, filename)
    counts = {
        "new": len(plan.inserts),
        "changed": len(plan.updates),
        "unchanged": plan.unchanged + plan.queue_unchanged,
        "queued": len(plan.queue_new) + len(plan.queue_changed),
    }
    if plan.has_changes:
        record(AuditAction.import_, kind.name, None, summary=f"{kind.name} import {filename}", after=counts)
    return counts


def _queue(kind: Kind, plan: Plan, filename: str) -> None:
    now = utcnow()
    if plan.queue_new:
        insert_rows(
            ReviewItem.__table__,
            [
                {
                    "kind": kind.name,
                    "id_number": r.id_number,
                    "name": r.name,
                    "key": r.key,
                    "payload": r.payload,
                    "filename": filename[:255],
                    "imported_by": plan.importer_id,
                    "state": ReviewState.pending.name,
                    "created_at": now,
                    "updated_at": now,
                }
                for r in plan.queue_new
            ],
        )
    for r in plan.queue_changed:
        db.session.execute(
            sa.update(ReviewItem)
            .where(
                ReviewItem.kind == kind.name,
                ReviewItem.id_number == r.id_number,
                ReviewItem.key == r.key,
                imported_by(plan.importer_id),
            )
            .values(payload=r.payload, name=r.name, filename=filename[:255], updated_at=now)
        )


def apply_queued(item: ReviewItem, worker_id: int) -> None:
    """A coordinator matched a queued row to a worker: apply it as the import would have."""
    kind = KINDS[item.kind]
    row = Row(0, item.id_number, item.name, item.key, item.payload, worker_id)
    current = kind.existing([worker_id]).get((worker_id, item.key))
    kind.check_match(row)
    if current is None:
        kind.write(Changes([row], [], item.filename))
    elif current != item.payload:
        kind.write(Changes([], [row], item.filename))
