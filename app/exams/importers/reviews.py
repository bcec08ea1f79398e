"""Senior reviews (评审): a worker's review on a day, passed or not. The worker's qualifications
are recomputed after the write (a passed review can complete the senior level)."""

from datetime import date

import sqlalchemy as sa

from app.core import tabular
from app.core.bulk import insert_rows
from app.core.tabular import Column
from app.core.timeutil import utcnow
from app.exams import services
from app.exams.importers.base import ID, NAME, Changes, Kind
from app.exams.importers.cells import cell
from app.exams.importers.register import register
from app.exams.models import SeniorReview
from app.extensions import db

RESULTS = {"通过": True, "pass": True, "passed": True, "未通过": False, "fail": False, "failed": False}


def _read(raw):
    day = cell("review_date", tabular.parse_date, raw.get("review_date"))
    passed = cell("result", tabular.choice, raw.get("result"), RESULTS, lambda: "通过/pass, 未通过/fail")
    return day.isoformat(), {"review_date": day.isoformat(), "passed": passed}


def _existing(worker_ids):
    rows = db.session.execute(
        sa.select(SeniorReview.worker_id, SeniorReview.review_date, SeniorReview.passed).where(
            SeniorReview.worker_id.in_(worker_ids)
        )
    )
    return {
        (r.worker_id, r.review_date.isoformat()): {"review_date": r.review_date.isoformat(), "passed": r.passed}
        for r in rows
    }


def _write(changes: Changes) -> None:
    now = utcnow()
    table = SeniorReview.__table__
    insert_rows(
        table,
        [
            {
                "worker_id": r.worker_id,
                "review_date": date.fromisoformat(r.payload["review_date"]),
                "passed": r.payload["passed"],
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
                table.c.worker_id == r.worker_id, table.c.review_date == date.fromisoformat(r.payload["review_date"])
            )
            .values(passed=r.payload["passed"], updated_at=now)
        )
    services.recompute_qualifications(changes.worker_ids)


KIND = register(
    Kind(
        "reviews",
        [ID, NAME, Column("review_date", "评审日期"), Column("result", "评审结果")],
        reader=lambda: _read,
        existing=_existing,
        write=_write,
    )
)
