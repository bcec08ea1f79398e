"""External continuing-education records: hours of training done elsewhere, on a day, with what
it was. The file itself is the proof each record needs."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import tabular
from app.core.bulk import insert_rows
from app.core.tabular import Column
from app.core.timeutil import utcnow
from app.exams.importers.base import ID, NAME, Changes, Kind
from app.exams.importers.cells import cell
from app.exams.importers.register import register
from app.exams.models import CERecord
from app.extensions import db

TENTH = Decimal("0.1")


def _hours(raw) -> Decimal:
    hours = tabular.parse_decimal(raw)
    if not Decimal(0) < hours <= Decimal(200) or hours != hours.quantize(TENTH):
        raise ValueError(_("hours are more than 0 and at most 200, with at most one decimal"))
    return hours.quantize(TENTH)


def _key(day: date, description: str) -> str:
    return f"{day.isoformat()}:{description}"[:80]


def _read(raw):
    day = cell("date", tabular.parse_date, raw.get("date"))
    hours = cell("hours", _hours, raw.get("hours"))
    description = cell("description", tabular.text, raw.get("description"), 200)
    return _key(day, description), {"date": day.isoformat(), "hours": str(hours), "description": description}


def _existing(worker_ids):
    rows = db.session.execute(
        sa.select(CERecord.worker_id, CERecord.date, CERecord.hours, CERecord.description).where(
            CERecord.worker_id.in_(worker_ids)
        )
    )
    return {
        (r.worker_id, _key(r.date, r.description)): {
            "date": r.date.isoformat(),
            "hours": str(r.hours),
            "description": r.description,
        }
        for r in rows
    }


def _write(changes: Changes) -> None:
    now = utcnow()
    table = CERecord.__table__
    proof = f"import: {changes.filename}"[:200]
    insert_rows(
        table,
        [
            {
                "worker_id": r.worker_id,
                "date": date.fromisoformat(r.payload["date"]),
                "hours": Decimal(r.payload["hours"]),
                "description": r.payload["description"],
                "proof": proof,
                "created_at": now,
                "updated_at": now,
            }
            for r in changes.inserts
        ],
    )
    for r in changes.updates:
        db.session.execute(
            table.update()
            .where(
                table.c.worker_id == r.worker_id,
                table.c.date == date.fromisoformat(r.payload["date"]),
                table.c.description == r.payload["description"],
            )
            .values(hours=Decimal(r.payload["hours"]), updated_at=now)
        )


KIND = register(
    Kind(
        "ce",
        [ID, NAME, Column("date", "日期"), Column("hours", "学时"), Column("description", "内容")],
        reader=lambda: _read,
        existing=_existing,
        write=_write,
    )
)
