"""The qualification engine (engine.py) applied to many workers at once: computed qualifications
are brought in line with results and reviews, set-based and a chunk of workers at a time.

Imported (historical) certificates are taken as given and never touched here."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from app.core.audit import AuditAction, record
from app.core.bulk import insert_rows
from app.core.timeutil import utcnow
from app.exams import engine
from app.exams.levels import Level
from app.exams.models import ExamResult, ExamYear, Qualification, QualificationSource, SeniorReview
from app.extensions import db

CHUNK = 2000
COMPUTED = QualificationSource.computed.name
TABLE = Qualification.__table__


@dataclass
class _Changes:
    inserts: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)


def recompute_qualifications(worker_ids: list[int]) -> dict:
    """Bring computed qualifications in line with results and reviews; the counts of changes."""
    counts = {"created": 0, "updated": 0, "removed": 0}
    ids = sorted(set(worker_ids))
    now = utcnow()
    for i in range(0, len(ids), CHUNK):
        changes = _changes(ids[i : i + CHUNK], now)
        _write(changes, now)
        counts["created"] += len(changes.inserts)
        counts["updated"] += len(changes.updates)
        counts["removed"] += len(changes.deletes)
    if any(counts.values()):
        record(
            AuditAction.update,
            "qualification",
            None,
            summary="qualifications recomputed: " + ", ".join(f"{k}={v}" for k, v in counts.items()),
            after=counts,
        )
    db.session.expire_all()
    return counts


def _changes(chunk: list[int], now: datetime) -> _Changes:
    """What these workers' qualifications need: the engine's answer against what is recorded."""
    passes, reviews, held = _passes_of(chunk), _reviews_of(chunk), _held_by(chunk)
    changes = _Changes()
    for wid in chunk:
        found = engine.qualifications_from(passes.get(wid, []), reviews.get(wid, []))
        _compare(wid, found, held.get(wid, {}), now, changes)
    return changes


def _passes_of(chunk: list[int]) -> dict[int, list[engine.Pass]]:
    passes = defaultdict(list)
    for row in db.session.execute(
        sa.select(ExamResult.worker_id, ExamResult.subject, ExamYear.year, ExamYear.results_date, ExamYear.exam_date)
        .join(ExamYear, ExamYear.id == ExamResult.exam_year_id)
        .where(ExamResult.passed.is_(True), ExamResult.worker_id.in_(chunk))
    ):
        passes[row.worker_id].append(engine.Pass(row.subject, row.year, row.results_date, row.exam_date))
    return passes


def _reviews_of(chunk: list[int]) -> dict[int, list[engine.Review]]:
    reviews = defaultdict(list)
    for row in db.session.execute(
        sa.select(SeniorReview.worker_id, SeniorReview.review_date, SeniorReview.passed).where(
            SeniorReview.worker_id.in_(chunk)
        )
    ):
        reviews[row.worker_id].append(engine.Review(row.review_date, row.passed))
    return reviews


def _held_by(chunk: list[int]) -> dict[int, dict[Level, sa.Row]]:
    held = defaultdict(dict)
    t = TABLE.c
    for q in db.session.execute(
        sa.select(t.id, t.worker_id, t.level, t.source, t.obtained_on, t.evidence).where(t.worker_id.in_(chunk))
    ):
        held[q.worker_id][Level(q.level)] = q
    return held


def _compare(wid: int, found: dict[Level, engine.Obtained], have: dict, now: datetime, changes: _Changes) -> None:
    """New levels are inserted; a computed level whose date or evidence moved is updated, one no
    longer earned is removed. An imported certificate is left as it is."""
    for level, got in found.items():
        current = have.get(level)
        if current is None:
            changes.inserts.append(
                {
                    "worker_id": wid,
                    "level": level.name,
                    "obtained_on": got.obtained_on,
                    "source": COMPUTED,
                    "evidence": got.evidence,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        elif current.source == COMPUTED and (current.obtained_on, current.evidence) != (got.obtained_on, got.evidence):
            changes.updates.append({"q_id": current.id, "b_obtained": got.obtained_on, "b_evidence": got.evidence})
    changes.deletes.extend(
        current.id for level, current in have.items() if level not in found and current.source == COMPUTED
    )


def _write(changes: _Changes, now: datetime) -> None:
    insert_rows(TABLE, changes.inserts)
    if changes.updates:
        db.session.execute(
            TABLE.update()
            .where(TABLE.c.id == sa.bindparam("q_id"))
            .values(obtained_on=sa.bindparam("b_obtained"), evidence=sa.bindparam("b_evidence"), updated_at=now),
            changes.updates,
        )
    if changes.deletes:
        db.session.execute(TABLE.delete().where(TABLE.c.id.in_(changes.deletes)))
