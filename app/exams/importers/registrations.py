"""Certificate registrations (登记): a level registered on a day, until an expiry (three years
by default). A worker registers only a level they hold, and not before they obtained it."""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import tabular
from app.core.bulk import insert_rows
from app.core.services import ServiceError
from app.core.tabular import Column
from app.core.timeutil import utcnow
from app.exams import services
from app.exams.importers import cells
from app.exams.importers.base import ID, NAME, Changes, Kind, Problem, Row, chunks
from app.exams.importers.cells import CellError, cell
from app.exams.importers.register import register
from app.exams.levels import Level
from app.exams.models import Qualification, Registration
from app.extensions import db


def _read(raw):
    level = cell("level", cells.level, raw.get("level"))
    registered = cell("registered_on", tabular.parse_date, raw.get("registered_on"))
    expires = cell("expires_on", tabular.parse_date, raw.get("expires_on"), required=False)
    expires = expires or services.default_expiry(registered)
    if expires < registered:
        raise CellError("expires_on", _("the registration expires before it starts"))
    return f"{level.value}:{registered.isoformat()}", {
        "level": level.value,
        "registered_on": registered.isoformat(),
        "expires_on": expires.isoformat(),
    }


def _check_known(rows: list[Row]) -> list[Problem]:
    """Each worker found holds the level, obtained no later than the registration."""
    held = {}
    for worker_ids in chunks(sorted({r.worker_id for r in rows})):
        for q in db.session.execute(
            sa.select(Qualification.worker_id, Qualification.level, Qualification.obtained_on).where(
                Qualification.worker_id.in_(worker_ids)
            )
        ):
            held[(q.worker_id, q.level.value)] = q.obtained_on
    problems = []
    for r in rows:
        obtained = held.get((r.worker_id, r.payload["level"]))
        if obtained is None:
            problems.append((r, "level", _("the worker holds no qualification at this level")))
        elif date.fromisoformat(r.payload["registered_on"]) < obtained:
            message = _(
                "the registration is before the qualification was obtained (%(date)s)", date=obtained.isoformat()
            )
            problems.append((r, "registered_on", message))
    return problems


def _check_match(row: Row) -> None:
    held = db.session.scalar(
        sa.select(Qualification.obtained_on).where(
            Qualification.worker_id == row.worker_id, Qualification.level == Level(row.payload["level"])
        )
    )
    if held is None:
        raise ServiceError(_("The worker holds no qualification at this level."), "worker")


def _existing(worker_ids):
    rows = db.session.execute(
        sa.select(
            Registration.worker_id, Registration.level, Registration.registered_on, Registration.expires_on
        ).where(Registration.worker_id.in_(worker_ids))
    )
    return {
        (r.worker_id, f"{r.level.value}:{r.registered_on.isoformat()}"): {
            "level": r.level.value,
            "registered_on": r.registered_on.isoformat(),
            "expires_on": r.expires_on.isoformat(),
        }
        for r in rows
    }


def _write(changes: Changes) -> None:
    now = utcnow()
    table = Registration.__table__
    insert_rows(
        table,
        [
            {
                "worker_id": r.worker_id,
                "level": Level(r.payload["level"]).name,
                "registered_on": date.fromisoformat(r.payload["registered_on"]),
                "expires_on": date.fromisoformat(r.payload["expires_on"]),
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
                table.c.level == Level(r.payload["level"]).name,
                table.c.registered_on == date.fromisoformat(r.payload["registered_on"]),
            )
            .values(expires_on=date.fromisoformat(r.payload["expires_on"]), updated_at=now)
        )


KIND = register(
    Kind(
        "registrations",
        [
            ID,
            NAME,
            Column("level", "等级"),
            Column("registered_on", "登记日期"),
            Column("expires_on", "有效期至", required=False),
        ],
        reader=lambda: _read,
        existing=_existing,
        write=_write,
        check_known=_check_known,
        check_match=_check_match,
    )
)
