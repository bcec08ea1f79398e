"""Exam results: one score of one worker in one subject of a set-up exam year. Whether it passes
follows that year's pass mark; the worker's qualifications are recomputed after the write."""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import tabular
from app.core.bulk import insert_rows
from app.core.identity import is_ascii_digits
from app.core.tabular import Column
from app.core.timeutil import utcnow
from app.exams import services
from app.exams.importers.base import ID, NAME, Changes, Kind, Row, RowReader
from app.exams.importers.cells import CellError, cell
from app.exams.importers.register import register
from app.exams.levels import SUBJECT_ALIASES
from app.exams.models import ExamResult, ExamYear
from app.exams.rules import passes
from app.extensions import db

YearMarks = dict[int, tuple[int, dict[str, Decimal]]]  # year -> (exam_year.id, {subject: pass mark})


def _years() -> YearMarks:
    return {y.year: (y.id, {m.subject: m.mark for m in y.pass_marks}) for y in db.session.scalars(sa.select(ExamYear))}


def _reader() -> RowReader:
    years = _years()

    def read(raw):
        year = cell("year", _year, raw.get("year"))
        if year not in years:
            raise CellError("year", _("the exam year %(year)d is not set up", year=year))
        subject = cell("subject", _subject, raw.get("subject"))
        score = cell("score", _score, raw.get("score"))
        return f"{year}:{subject}", {"year": year, "subject": subject, "score": str(score)}

    return read


def _year(raw) -> int:
    text = tabular.text(tabular.code_text(raw), 4)
    if not is_ascii_digits(text):
        raise ValueError(_("“%(value)s” is not a year", value=text))
    return int(text)


def _subject(raw) -> str:
    return tabular.choice(raw, SUBJECT_ALIASES, lambda: "A1, A2, I1, I2, I3, S1")


def _score(raw) -> Decimal:
    tabular.text(raw)  # "is required" when blank
    return services.check_score(tabular.parse_decimal(raw))


def _existing(worker_ids):
    rows = db.session.execute(
        sa.select(ExamResult.worker_id, ExamYear.year, ExamResult.subject, ExamResult.score)
        .join(ExamYear)
        .where(ExamResult.worker_id.in_(worker_ids))
    )
    return {
        (r.worker_id, f"{r.year}:{r.subject}"): {"year": r.year, "subject": r.subject, "score": str(r.score)}
        for r in rows
    }


def _write(changes: Changes) -> None:
    years = _years()
    now = utcnow()
    table = ExamResult.__table__

    def judged(r: Row) -> tuple[int, Decimal, bool]:
        year_id, marks = years[r.payload["year"]]
        score = Decimal(r.payload["score"])
        return year_id, score, passes(score, marks.get(r.payload["subject"]))

    rows = []
    for r in changes.inserts:
        year_id, score, passed = judged(r)
        rows.append(
            {
                "worker_id": r.worker_id,
                "exam_year_id": year_id,
                "subject": r.payload["subject"],
                "score": score,
                "passed": passed,
                "created_at": now,
                "updated_at": now,
            }
        )
    insert_rows(table, rows)
    for r in changes.updates:
        year_id, score, passed = judged(r)
        db.session.execute(
            table.update()
            .where(
                table.c.worker_id == r.worker_id,
                table.c.exam_year_id == year_id,
                table.c.subject == r.payload["subject"],
            )
            .values(score=score, passed=passed, updated_at=now)
        )
    services.recompute_qualifications(changes.worker_ids)


KIND = register(
    Kind(
        "results",
        [ID, NAME, Column("year", "考试年度"), Column("subject", "科目"), Column("score", "成绩")],
        reader=_reader,
        existing=_existing,
        write=_write,
    )
)
