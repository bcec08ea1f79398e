"""One worker's education (学历) on their record: read it, add, correct and delete a level.

Services flush, never commit (the view's perform() does); each change is written to the audit
log by the Audited listener. Reads raise RecordNotFound, never abort.
"""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.services import RecordNotFound, ServiceError
from app.extensions import db
from app.workers.education import Education, EducationLevel
from app.workers.models import Worker
from app.workers.record import RecordSection

RANK = {level: n for n, level in enumerate(EducationLevel)}


def levels_at_least(level: EducationLevel) -> list[EducationLevel]:
    return [other for other in EducationLevel if RANK[other] >= RANK[level]]


def educations_of(worker_id: int) -> list[Education]:
    """Highest level first."""
    rows = db.session.scalars(sa.select(Education).where(Education.worker_id == worker_id))
    return sorted(rows, key=lambda e: RANK[e.level], reverse=True)


def level_on(entries: list[Education], day: date) -> EducationLevel | None:
    """The highest level obtained by `day` (a record without a date counts as held)."""
    held = [e.level for e in entries if e.obtained_on is None or e.obtained_on <= day]
    return max(held, key=RANK.__getitem__, default=None)


def at_least_on(level: EducationLevel, day: date):
    """SQL: the worker held `level` or higher on `day` (for the registry's filter)."""
    return sa.exists().where(
        Education.worker_id == Worker.id,
        Education.level.in_(levels_at_least(level)),
        sa.or_(Education.obtained_on.is_(None), Education.obtained_on <= day),
    )


def get_education(worker: Worker, education_id: int) -> Education:
    """One of this worker's education records (the worker comes in scope from get_worker)."""
    entry = db.session.get(Education, education_id)
    if entry is None or entry.worker_id != worker.id:
        raise RecordNotFound(f"education {education_id}")
    return entry


def _check(worker: Worker, level: EducationLevel, obtained_on: date | None, today: date, own_id: int | None):
    if obtained_on is not None and obtained_on > today:
        raise ServiceError(_("The date obtained cannot be in the future."), field="obtained_on")
    if obtained_on is not None and worker.birth_date and obtained_on <= worker.birth_date:
        raise ServiceError(_("The date obtained must be after the date of birth."), field="obtained_on")
    clash = db.session.scalar(sa.select(Education.id).where(Education.worker_id == worker.id, Education.level == level))
    if clash is not None and clash != own_id:
        raise ServiceError(_("This level is already on the record; edit it instead."), field="level")


def add_education(worker: Worker, level: EducationLevel, obtained_on: date | None, today: date) -> Education:
    _check(worker, level, obtained_on, today, None)
    entry = Education(worker_id=worker.id, level=level, obtained_on=obtained_on)
    db.session.add(entry)
    db.session.flush()
    return entry


def update_education(entry: Education, level: EducationLevel, obtained_on: date | None, today: date) -> Education:
    _check(db.session.get(Worker, entry.worker_id), level, obtained_on, today, entry.id)
    entry.level, entry.obtained_on = level, obtained_on
    db.session.flush()
    return entry


def delete_education(entry: Education) -> None:
    db.session.delete(entry)
    db.session.flush()


def education_section(worker: Worker, today: date) -> RecordSection:
    """The education card on the record page (registered by the factory, first of the sections)."""
    entries = educations_of(worker.id)
    return RecordSection("workers/_education.html", {"educations": entries, "level_now": level_on(entries, today)})
