"""The education file (DOMAIN.md): id_number, education, obtained_on (optional).

All or nothing: every bad row is reported and a plan with any error is never applied. A row
whose person is not among the importer's workers (not registered, or outside their districts)
gets the same answer either way, so a file cannot tell a district user who exists elsewhere.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import tabular
from app.core.bulk import insert_rows
from app.core.identity import InvalidIdentity, parse_id_number
from app.core.importing import RowsPlan, register_scoped_import
from app.core.tabular import Column, RowError
from app.core.timeutil import utcnow
from app.extensions import db
from app.workers.education import EDUCATION_ALIASES, EDUCATION_CHOICES, Education, EducationLevel
from app.workers.models import Worker

EDUCATION_COLUMNS = [
    Column("id_number", "身份证号"),
    Column("name", "姓名", required=False),
    Column("education", "学历"),
    Column("obtained_on", "取得日期", required=False),
]
CHUNK = 2000


@dataclass
class EducationRow:
    row: int
    id_number: str
    level: EducationLevel
    obtained_on: date | None
    worker_id: int | None = None


EducationPlan = RowsPlan  # the common shape (core/importing.py)


def plan_education_import(filename: str, data: bytes, allowed_districts: set[int] | None) -> EducationPlan:
    """Read and check the whole file, writing nothing; raises tabular.FileRejected when unreadable."""
    table = tabular.read_table(filename, data, EDUCATION_COLUMNS)
    plan = EducationPlan(total_rows=len(table.rows))
    rows = _parse_rows(table, plan.errors)
    _resolve_workers(rows, allowed_districts, table, plan.errors)
    if plan.errors:
        plan.errors.sort(key=lambda e: e.row)
        return plan
    _diff(rows, plan)
    return plan


def _parse_rows(table, errors) -> list[EducationRow]:
    rows, seen = [], {}
    for number, raw in table.rows:
        bad = len(errors)
        id_number = level = obtained = None
        try:
            id_number = parse_id_number(tabular.code_text(raw.get("id_number"))).number
        except (InvalidIdentity, ValueError) as exc:
            errors.append(RowError(number, table.label("id_number"), str(exc)))
        try:
            level = tabular.choice(raw.get("education"), EDUCATION_ALIASES, lambda: EDUCATION_CHOICES)
        except ValueError as exc:
            errors.append(RowError(number, table.label("education"), str(exc)))
        try:
            obtained = tabular.parse_date(raw.get("obtained_on"), required=False)
        except ValueError as exc:
            errors.append(RowError(number, table.label("obtained_on"), str(exc)))
        if len(errors) > bad:
            continue
        if (id_number, level) in seen:
            message = _("the same record is already in row %(row)d", row=seen[(id_number, level)])
            errors.append(RowError(number, table.label("education"), message))
            continue
        seen[(id_number, level)] = number
        rows.append(EducationRow(number, id_number, level, obtained))
    return rows


def _resolve_workers(rows: list[EducationRow], allowed: set[int] | None, table, errors) -> None:
    numbers = sorted({r.id_number for r in rows})
    found = {}
    for i in range(0, len(numbers), CHUNK):
        for w in db.session.execute(
            sa.select(Worker.id_number, Worker.id, Worker.district_id).where(
                Worker.id_number.in_(numbers[i : i + CHUNK])
            )
        ):
            found[w.id_number] = w
    for r in rows:
        worker = found.get(r.id_number)
        if worker is not None and (allowed is None or worker.district_id in allowed):
            r.worker_id = worker.id
        elif allowed is None:
            errors.append(RowError(r.row, table.label("id_number"), _("no worker with this ID number is registered")))
        else:
            errors.append(
                RowError(r.row, table.label("id_number"), _("this person is not among your districts' workers"))
            )


def _diff(rows: list[EducationRow], plan: EducationPlan) -> None:
    worker_ids = sorted({r.worker_id for r in rows})
    existing = {}
    for i in range(0, len(worker_ids), CHUNK):
        for e in db.session.execute(
            sa.select(Education.worker_id, Education.level, Education.obtained_on).where(
                Education.worker_id.in_(worker_ids[i : i + CHUNK])
            )
        ):
            existing[(e.worker_id, e.level)] = e.obtained_on
    for r in rows:
        key = (r.worker_id, r.level)
        if key not in existing:
            plan.inserts.append(r)
        elif existing[key] != r.obtained_on:
            plan.updates.append(r)
        else:
            plan.unchanged += 1


def apply_education_import(plan: EducationPlan, filename: str) -> dict:
    """Write a checked plan; returns the counts shown to the user."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    now = utcnow()
    table = Education.__table__
    insert_rows(
        table,
        [
            {
                "worker_id": r.worker_id,
                "level": r.level.name,
                "obtained_on": r.obtained_on,
                "created_at": now,
                "updated_at": now,
            }
            for r in plan.inserts
        ],
    )
    if plan.updates:
        db.session.execute(
            table.update()
            .where(table.c.worker_id == sa.bindparam("b_worker"), table.c.level == sa.bindparam("b_level"))
            .values(obtained_on=sa.bindparam("b_obtained"), updated_at=now),
            [{"b_worker": r.worker_id, "b_level": r.level.name, "b_obtained": r.obtained_on} for r in plan.updates],
        )
    return plan.applied("education", "education", filename)


def register_education_import() -> None:
    """Called by the factory: the import pages and the job runner find the kind by its name."""
    register_scoped_import("education", plan_education_import, apply_education_import, "reports.index")
