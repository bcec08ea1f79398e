"""Historical qualifications: certificates obtained before the system, taken as given. An
imported certificate replaces a qualification computed from results at the same level."""

from datetime import date

import sqlalchemy as sa

from app.core import tabular
from app.core.bulk import insert_rows
from app.core.tabular import Column
from app.core.timeutil import utcnow
from app.exams.importers import cells
from app.exams.importers.base import ID, NAME, Changes, Kind
from app.exams.importers.cells import cell
from app.exams.importers.register import register
from app.exams.levels import Level
from app.exams.models import Qualification, QualificationSource
from app.extensions import db


def _read(raw):
    level = cell("level", cells.level, raw.get("level"))
    certificate = cell("certificate_no", tabular.text, raw.get("certificate_no"), 40, required=False) or ""
    obtained = cell("obtained_on", tabular.parse_date, raw.get("obtained_on"))
    return level.value, {"level": level.value, "certificate_no": certificate, "obtained_on": obtained.isoformat()}


def _existing(worker_ids):
    out = {}
    for q in db.session.execute(
        sa.select(
            Qualification.worker_id,
            Qualification.level,
            Qualification.certificate_no,
            Qualification.obtained_on,
            Qualification.source,
        ).where(Qualification.worker_id.in_(worker_ids))
    ):
        payload = {
            "level": q.level.value,
            "certificate_no": q.certificate_no or "",
            "obtained_on": q.obtained_on.isoformat(),
        }
        if q.source != QualificationSource.imported:
            payload["source"] = q.source.value  # a computed one is replaced by the certificate
        out[(q.worker_id, q.level.value)] = payload
    return out


def _write(changes: Changes) -> None:
    now = utcnow()
    table = Qualification.__table__
    evidence = {"file": changes.filename}
    insert_rows(
        table,
        [
            {
                "worker_id": r.worker_id,
                "level": Level(r.payload["level"]).name,
                "certificate_no": r.payload["certificate_no"] or None,
                "obtained_on": date.fromisoformat(r.payload["obtained_on"]),
                "source": QualificationSource.imported.name,
                "evidence": evidence,
                "created_at": now,
                "updated_at": now,
            }
            for r in changes.inserts
        ],
    )
    for r in changes.updates:
        db.session.execute(
            table.update()
            .where(table.c.worker_id == r.worker_id, table.c.level == Level(r.payload["level"]).name)
            .values(
                certificate_no=r.payload["certificate_no"] or None,
                obtained_on=date.fromisoformat(r.payload["obtained_on"]),
                source=QualificationSource.imported.name,
                evidence=evidence,
                updated_at=now,
            )
        )


KIND = register(
    Kind(
        "qualifications",
        [
            ID,
            NAME,
            Column("level", "等级"),
            Column("certificate_no", "证书编号", required=False),
            Column("obtained_on", "取得日期"),
        ],
        reader=lambda: _read,
        existing=_existing,
        write=_write,
    )
)
