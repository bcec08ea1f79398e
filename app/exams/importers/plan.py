"""Planning an exam import: read every row, find its worker among those the importer may write
to, and sort the rows into new, changed, unchanged and queued (for people not found). Writes
nothing; the preview shows the plan and the job re-plans before applying it."""

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import tabular
from app.core.identity import InvalidIdentity, parse_id_number
from app.core.tabular import RowError
from app.exams.importers.base import Kind, Plan, Row, RowReader, chunks
from app.exams.importers.cells import CellError
from app.exams.models import ReviewItem, ReviewState
from app.extensions import db
from app.workers.models import Worker


def plan_import(
    kind: Kind,
    filename: str,
    data: bytes,
    allowed_districts: set[int] | None = None,
    importer_id: int | None = None,
) -> Plan:
    table = tabular.read_table(filename, data, kind.columns)
    plan = Plan(kind=kind.name, importer_id=importer_id)
    _read_rows(plan, table, kind.reader())
    if plan.ok:
        _resolve_workers(plan.rows, allowed_districts)
        plan.errors = [
            RowError(r.row, table.label(column), message) for r, column, message in kind.check_known(_known(plan))
        ]
    if plan.ok:
        _diff_known(kind, plan)
        _diff_unknown(kind, plan)
    plan.errors.sort(key=lambda e: e.row)
    return plan


def _read_rows(plan: Plan, table, read: RowReader) -> None:
    seen: dict[tuple, int] = {}
    for number, raw in table.rows:
        row, errors = _read_row(number, raw, table, read)
        plan.errors.extend(errors)
        if row is None:
            continue
        first = seen.setdefault((row.id_number, row.key), number)
        if first != number:
            message = _("the same record is already in row %(row)d", row=first)
            plan.errors.append(RowError(number, table.label("id_number"), message))
            continue
        plan.rows.append(row)


def _read_row(number: int, raw: dict, table, read: RowReader) -> tuple[Row | None, list[RowError]]:
    """The row, or None and every error in it."""
    errors = []
    try:
        id_number = parse_id_number(tabular.code_text(raw.get("id_number"))).number
    except (InvalidIdentity, ValueError) as exc:
        errors.append(RowError(number, table.label("id_number"), str(exc)))
    try:
        key, payload = read(raw)
    except CellError as exc:
        errors.append(RowError(number, table.label(exc.column), exc.message))
    try:
        name = tabular.text(raw.get("name"), 64, required=False) or ""
    except ValueError as exc:  # a name too long is the row's error, not a failed page
        errors.append(RowError(number, table.label("name"), str(exc)))
    if errors:
        return None, errors
    return Row(number, id_number, name[:64], key, payload), []


def _resolve_workers(rows: list[Row], allowed: set[int] | None) -> None:
    """Find each row's worker among those the importer may write to; any other row stays
    unresolved, like a row of someone not in the registry."""
    found = {}
    for numbers in chunks(sorted({r.id_number for r in rows})):
        for w in db.session.execute(
            sa.select(Worker.id_number, Worker.id, Worker.district_id).where(Worker.id_number.in_(numbers))
        ):
            found[w.id_number] = w
    for r in rows:
        worker = found.get(r.id_number)
        if worker is not None and (allowed is None or worker.district_id in allowed):
            r.worker_id = worker.id


def _known(plan: Plan) -> list[Row]:
    return [r for r in plan.rows if r.worker_id]


def _diff_known(kind: Kind, plan: Plan) -> None:
    """Rows of workers found: new, changed or already recorded."""
    by_worker: dict[int, list[Row]] = {}
    for r in _known(plan):
        by_worker.setdefault(r.worker_id, []).append(r)
    for worker_ids in chunks(sorted(by_worker)):
        existing = kind.existing(worker_ids)
        for r in (r for wid in worker_ids for r in by_worker[wid]):
            current = existing.get((r.worker_id, r.key))
            if current is None:
                plan.inserts.append(r)
            elif current != r.payload:
                plan.updates.append(r)
            else:
                plan.unchanged += 1
    plan.inserts.sort(key=lambda r: r.row)
    plan.updates.sort(key=lambda r: r.row)


def _diff_unknown(kind: Kind, plan: Plan) -> None:
    """Rows of people not found: new to the importer's queue, changed while pending, or already there."""
    unknown = [r for r in plan.rows if not r.worker_id]
    queued = {}
    for numbers in chunks(sorted({r.id_number for r in unknown})):
        for item in db.session.scalars(
            sa.select(ReviewItem).where(
                ReviewItem.kind == kind.name, ReviewItem.id_number.in_(numbers), imported_by(plan.importer_id)
            )
        ):
            queued[(item.id_number, item.key)] = item
    for r in unknown:
        item = queued.get((r.id_number, r.key))
        if item is None:
            plan.queue_new.append(r)
        elif item.payload != r.payload and item.state == ReviewState.pending:
            plan.queue_changed.append(r)
        else:
            plan.queue_unchanged += 1


def imported_by(importer_id: int | None):
    """Queue rows of this importer (None: the command line's)."""
    return ReviewItem.imported_by.is_(None) if importer_id is None else ReviewItem.imported_by == importer_id
