"""The five exam files (DOMAIN.md): results, senior reviews, historical qualifications,
registrations and CE records. Each is all or nothing; rows of people not in the registry go
to the review queue instead of creating workers; re-importing a file changes nothing.

A row about a worker outside the importer's districts is planned exactly as a row about an
unknown ID number (to the importer's review queue), so a file can neither change such a worker
nor tell the importer that they exist (issue #10).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import tabular
from app.core.audit import AuditAction, record
from app.core.bulk import insert_rows
from app.core.identity import InvalidIdentity, is_ascii_digits, parse_id_number
from app.core.services import ServiceError
from app.core.tabular import Column, RowError
from app.core.timeutil import utcnow
from app.exams import services
from app.exams.levels import LEVEL_ALIASES, SUBJECT_ALIASES, Level
from app.exams.models import (
    CERecord,
    ExamResult,
    ExamYear,
    Qualification,
    QualificationSource,
    Registration,
    ReviewItem,
    ReviewState,
    SeniorReview,
)
from app.extensions import db
from app.workers.models import Worker

CHUNK = 2000
ID = Column("id_number", "身份证号")
NAME = Column("name", "姓名", required=False)


@dataclass
class Row:
    row: int
    id_number: str
    name: str
    key: str
    payload: dict
    worker_id: int | None = None


@dataclass
class Plan:
    kind: str
    errors: list[RowError] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    inserts: list[Row] = field(default_factory=list)
    updates: list[Row] = field(default_factory=list)
    unchanged: int = 0
    queue_new: list[Row] = field(default_factory=list)
    queue_changed: list[Row] = field(default_factory=list)
    queue_unchanged: int = 0
    importer_id: int | None = None  # whose review queue the unknown rows go to

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return bool(self.inserts or self.updates or self.queue_new or self.queue_changed)

    def summary(self) -> list[tuple[str, int]]:
        return [
            (_("Rows read"), len(self.rows) + len({e.row for e in self.errors})),
            (_("New records"), len(self.inserts)),
            (_("Records that change"), len(self.updates)),
            (_("Rows already up to date"), self.unchanged + self.queue_unchanged),
            (
                _("Rows of people not among your workers (to the review queue)"),
                len(self.queue_new) + len(self.queue_changed),
            ),
        ]


@dataclass(frozen=True)
class Kind:
    name: str
    columns: list[Column]
    parse: Callable  # (raw, context) -> (key, payload); raises ValueError((column, message))
    existing: Callable  # (worker_ids) -> {(worker_id, key): payload}
    write: Callable  # (inserts: list[Row], updates: list[Row], filename) -> None
    context: Callable = lambda: {}


class CellError(ValueError):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


def _cell(column: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except (ValueError, InvalidIdentity, ServiceError, InvalidOperation) as exc:
        raise CellError(column, getattr(exc, "message", None) or str(exc)) from None


# ---- planning and applying, shared by every kind ----


def plan_import(
    kind: Kind,
    filename: str,
    data: bytes,
    allowed_districts: set[int] | None = None,
    importer_id: int | None = None,
) -> Plan:
    table = tabular.read_table(filename, data, kind.columns)
    plan = Plan(kind=kind.name, importer_id=importer_id)
    context = kind.context()
    seen: dict[tuple, int] = {}
    for number, raw in table.rows:
        row_errors = []
        try:
            id_number = parse_id_number(tabular.code_text(raw.get("id_number"))).number
        except (InvalidIdentity, ValueError) as exc:
            row_errors.append(RowError(number, table.label("id_number"), str(exc)))
            id_number = None
        try:
            key, payload = kind.parse(raw, context)
        except CellError as exc:
            row_errors.append(RowError(number, table.label(exc.column), exc.message))
        try:
            name = tabular.text(raw.get("name"), 64, required=False) or ""
        except ValueError as exc:  # a name too long is the row's error, not a failed page
            row_errors.append(RowError(number, table.label("name"), str(exc)))
        plan.errors.extend(row_errors)
        if row_errors:
            continue
        if (id_number, key) in seen:
            plan.errors.append(
                RowError(
                    number,
                    table.label("id_number"),
                    _("the same record is already in row %(row)d", row=seen[(id_number, key)]),
                )
            )
            continue
        seen[(id_number, key)] = number
        plan.rows.append(Row(number, id_number, name[:64], key, payload))
    if plan.errors:
        plan.errors.sort(key=lambda e: e.row)
        return plan
    _resolve_workers(plan.rows, allowed_districts)
    _validate_known(kind, plan, table)
    if plan.errors:
        plan.errors.sort(key=lambda e: e.row)
        return plan
    _diff(kind, plan)
    return plan


def _resolve_workers(rows: list[Row], allowed: set[int] | None) -> None:
    """Find each row's worker among those the importer may write to; any other row stays
    unresolved, like a row of someone not in the registry."""
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


def _validate_known(kind: Kind, plan: Plan, table) -> None:
    if kind.name != "registrations":
        return
    known = [r for r in plan.rows if r.worker_id]
    held = {}
    wids = sorted({r.worker_id for r in known})
    for i in range(0, len(wids), CHUNK):
        for q in db.session.execute(
            sa.select(Qualification.worker_id, Qualification.level, Qualification.obtained_on).where(
                Qualification.worker_id.in_(wids[i : i + CHUNK])
            )
        ):
            held[(q.worker_id, q.level.value)] = q.obtained_on
    for r in known:
        obtained = held.get((r.worker_id, r.payload["level"]))
        if obtained is None:
            plan.errors.append(
                RowError(r.row, table.label("level"), _("the worker holds no qualification at this level"))
            )
        elif date.fromisoformat(r.payload["registered_on"]) < obtained:
            plan.errors.append(
                RowError(
                    r.row,
                    table.label("registered_on"),
                    _(
                        "the registration is before the qualification was obtained (%(date)s)",
                        date=obtained.isoformat(),
                    ),
                )
            )


def _diff(kind: Kind, plan: Plan) -> None:
    by_worker: dict[int, list[Row]] = {}
    for r in plan.rows:
        if r.worker_id:
            by_worker.setdefault(r.worker_id, []).append(r)
    worker_ids = sorted(by_worker)
    for i in range(0, len(worker_ids), CHUNK):  # a chunk of workers at a time keeps memory flat
        chunk = worker_ids[i : i + CHUNK]
        existing = kind.existing(chunk)
        for wid in chunk:
            for r in by_worker[wid]:
                current = existing.get((r.worker_id, r.key))
                if current is None:
                    plan.inserts.append(r)
                elif current != r.payload:
                    plan.updates.append(r)
                else:
                    plan.unchanged += 1
    plan.inserts.sort(key=lambda r: r.row)
    plan.updates.sort(key=lambda r: r.row)
    unknown = [r for r in plan.rows if not r.worker_id]
    queued = {}
    numbers = sorted({r.id_number for r in unknown})
    for i in range(0, len(numbers), CHUNK):
        for item in db.session.scalars(
            sa.select(ReviewItem).where(
                ReviewItem.kind == kind.name,
                ReviewItem.id_number.in_(numbers[i : i + CHUNK]),
                _imported_by(plan.importer_id),
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


def _imported_by(importer_id: int | None):
    return ReviewItem.imported_by.is_(None) if importer_id is None else ReviewItem.imported_by == importer_id


def apply_import(kind: Kind, plan: Plan, filename: str) -> dict:
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    kind.write(plan.inserts, plan.updates, filename)
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
                _imported_by(plan.importer_id),
            )
            .values(payload=r.payload, name=r.name, filename=filename[:255], updated_at=now)
        )
    counts = {
        "new": len(plan.inserts),
        "changed": len(plan.updates),
        "unchanged": plan.unchanged + plan.queue_unchanged,
        "queued": len(plan.queue_new) + len(plan.queue_changed),
    }
    if plan.has_changes:
        record(AuditAction.import_, kind.name, None, summary=f"{kind.name} import {filename}", after=counts)
    return counts


# ---- exam results ----


def _results_context():
    years = {}
    for y in db.session.scalars(sa.select(ExamYear)):
        years[y.year] = (y.id, {m.subject: m.mark for m in y.pass_marks})
    return {"years": years}


def _subject(raw) -> str:
    return tabular.choice(raw, SUBJECT_ALIASES, lambda: "A1, A2, I1, I2, I3, S1")


def _parse_result(raw, ctx):
    year = _cell("year", _year, raw.get("year"))
    if year not in ctx["years"]:
        raise CellError("year", _("the exam year %(year)d is not set up", year=year))
    subject = _cell("subject", _subject, raw.get("subject"))
    score = _cell("score", _score, raw.get("score"))
    return f"{year}:{subject}", {"year": year, "subject": subject, "score": str(score)}


def _year(raw) -> int:
    text = tabular.text(tabular.code_text(raw), 4)
    if not is_ascii_digits(text):
        raise ValueError(_("“%(value)s” is not a year", value=text))
    return int(text)


def _score(raw) -> Decimal:
    tabular.text(raw)  # "is required" when blank
    return services.check_score(tabular.parse_decimal(raw))


def _existing_results(worker_ids):
    out = {}
    for i in range(0, len(worker_ids), CHUNK):
        for r in db.session.execute(
            sa.select(ExamResult.worker_id, ExamYear.year, ExamResult.subject, ExamResult.score)
            .join(ExamYear)
            .where(ExamResult.worker_id.in_(worker_ids[i : i + CHUNK]))
        ):
            out[(r.worker_id, f"{r.year}:{r.subject}")] = {"year": r.year, "subject": r.subject, "score": str(r.score)}
    return out


def _write_results(inserts, updates, filename):
    years = _results_context()["years"]
    now = utcnow()
    table = ExamResult.__table__

    def values(r):
        year_id, marks = years[r.payload["year"]]
        score = Decimal(r.payload["score"])
        return year_id, score, score >= marks.get(r.payload["subject"], Decimal(60))

    rows = []
    for r in inserts:
        year_id, score, passed = values(r)
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
    for r in updates:
        year_id, score, passed = values(r)
        db.session.execute(
            table.update()
            .where(
                table.c.worker_id == r.worker_id,
                table.c.exam_year_id == year_id,
                table.c.subject == r.payload["subject"],
            )
            .values(score=score, passed=passed, updated_at=now)
        )
    services.recompute_qualifications([r.worker_id for r in inserts + updates])


# ---- senior reviews ----

REVIEW_RESULTS = {"通过": True, "pass": True, "passed": True, "未通过": False, "fail": False, "failed": False}


def _parse_review(raw, ctx):
    day = _cell("review_date", tabular.parse_date, raw.get("review_date"))
    passed = _cell("result", tabular.choice, raw.get("result"), REVIEW_RESULTS, lambda: "通过/pass, 未通过/fail")
    return day.isoformat(), {"review_date": day.isoformat(), "passed": passed}


def _existing_reviews(worker_ids):
    out = {}
    for i in range(0, len(worker_ids), CHUNK):
        for r in db.session.execute(
            sa.select(SeniorReview.worker_id, SeniorReview.review_date, SeniorReview.passed).where(
                SeniorReview.worker_id.in_(worker_ids[i : i + CHUNK])
            )
        ):
            out[(r.worker_id, r.review_date.isoformat())] = {
                "review_date": r.review_date.isoformat(),
                "passed": r.passed,
            }
    return out


def _write_reviews(inserts, updates, filename):
    now = utcnow()
    table = SeniorReview.__table__
    if inserts:
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
                for r in inserts
            ],
        )
    for r in updates:
        db.session.execute(
            table.update()
            .where(
                table.c.worker_id == r.worker_id, table.c.review_date == date.fromisoformat(r.payload["review_date"])
            )
            .values(passed=r.payload["passed"], updated_at=now)
        )
    services.recompute_qualifications([r.worker_id for r in inserts + updates])


# ---- historical qualifications ----


def _level(raw) -> Level:
    return tabular.choice(
        raw,
        LEVEL_ALIASES,
        lambda: "local/社会工作员, assistant/助理社会工作师, intermediate/社会工作师, senior/高级社会工作师",
    )


def _parse_qualification(raw, ctx):
    level = _cell("level", _level, raw.get("level"))
    certificate = _cell("certificate_no", tabular.text, raw.get("certificate_no"), 40, required=False) or ""
    obtained = _cell("obtained_on", tabular.parse_date, raw.get("obtained_on"))
    return level.value, {"level": level.value, "certificate_no": certificate, "obtained_on": obtained.isoformat()}


def _existing_qualifications(worker_ids):
    out = {}
    for i in range(0, len(worker_ids), CHUNK):
        for q in db.session.execute(
            sa.select(
                Qualification.worker_id,
                Qualification.level,
                Qualification.certificate_no,
                Qualification.obtained_on,
                Qualification.source,
            ).where(Qualification.worker_id.in_(worker_ids[i : i + CHUNK]))
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


def _write_qualifications(inserts, updates, filename):
    now = utcnow()
    table = Qualification.__table__
    if inserts:
        insert_rows(
            table,
            [
                {
                    "worker_id": r.worker_id,
                    "level": Level(r.payload["level"]).name,
                    "certificate_no": r.payload["certificate_no"] or None,
                    "obtained_on": date.fromisoformat(r.payload["obtained_on"]),
                    "source": QualificationSource.imported.name,
                    "evidence": {"file": filename},
                    "created_at": now,
                    "updated_at": now,
                }
                for r in inserts
            ],
        )
    for r in updates:
        db.session.execute(
            table.update()
            .where(table.c.worker_id == r.worker_id, table.c.level == Level(r.payload["level"]).name)
            .values(
                certificate_no=r.payload["certificate_no"] or None,
                obtained_on=date.fromisoformat(r.payload["obtained_on"]),
                source=QualificationSource.imported.name,
                evidence={"file": filename},
                updated_at=now,
            )
        )


# ---- registrations ----


def _parse_registration(raw, ctx):
    level = _cell("level", _level, raw.get("level"))
    registered = _cell("registered_on", tabular.parse_date, raw.get("registered_on"))
    expires = _cell("expires_on", tabular.parse_date, raw.get("expires_on"), required=False)
    expires = expires or services.default_expiry(registered)
    if expires < registered:
        raise CellError("expires_on", _("the registration expires before it starts"))
    return f"{level.value}:{registered.isoformat()}", {
        "level": level.value,
        "registered_on": registered.isoformat(),
        "expires_on": expires.isoformat(),
    }


def _existing_registrations(worker_ids):
    out = {}
    for i in range(0, len(worker_ids), CHUNK):
        for r in db.session.execute(
            sa.select(
                Registration.worker_id, Registration.level, Registration.registered_on, Registration.expires_on
            ).where(Registration.worker_id.in_(worker_ids[i : i + CHUNK]))
        ):
            out[(r.worker_id, f"{r.level.value}:{r.registered_on.isoformat()}")] = {
                "level": r.level.value,
                "registered_on": r.registered_on.isoformat(),
                "expires_on": r.expires_on.isoformat(),
            }
    return out


def _write_registrations(inserts, updates, filename):
    now = utcnow()
    table = Registration.__table__
    if inserts:
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
                for r in inserts
            ],
        )
    for r in updates:
        db.session.execute(
            table.update()
            .where(
                table.c.worker_id == r.worker_id,
                table.c.level == Level(r.payload["level"]).name,
                table.c.registered_on == date.fromisoformat(r.payload["registered_on"]),
            )
            .values(expires_on=date.fromisoformat(r.payload["expires_on"]), updated_at=now)
        )


# ---- external CE records ----


def _hours(raw) -> Decimal:
    hours = tabular.parse_decimal(raw)
    if not Decimal(0) < hours <= Decimal(200) or hours != hours.quantize(Decimal("0.1")):
        raise ValueError(_("hours are more than 0 and at most 200, with at most one decimal"))
    return hours.quantize(Decimal("0.1"))


def _parse_ce(raw, ctx):
    day = _cell("date", tabular.parse_date, raw.get("date"))
    hours = _cell("hours", _hours, raw.get("hours"))
    description = _cell("description", tabular.text, raw.get("description"), 200)
    return f"{day.isoformat()}:{description}"[:80], {
        "date": day.isoformat(),
        "hours": str(hours),
        "description": description,
    }


def _existing_ce(worker_ids):
    out = {}
    for i in range(0, len(worker_ids), CHUNK):
        for r in db.session.execute(
            sa.select(CERecord.worker_id, CERecord.date, CERecord.hours, CERecord.description).where(
                CERecord.worker_id.in_(worker_ids[i : i + CHUNK])
            )
        ):
            out[(r.worker_id, f"{r.date.isoformat()}:{r.description}"[:80])] = {
                "date": r.date.isoformat(),
                "hours": str(r.hours),
                "description": r.description,
            }
    return out


def _write_ce(inserts, updates, filename):
    now = utcnow()
    table = CERecord.__table__
    proof = f"import: {filename}"[:200]
    if inserts:
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
                for r in inserts
            ],
        )
    for r in updates:
        db.session.execute(
            table.update()
            .where(
                table.c.worker_id == r.worker_id,
                table.c.date == date.fromisoformat(r.payload["date"]),
                table.c.description == r.payload["description"],
            )
            .values(hours=Decimal(r.payload["hours"]), updated_at=now)
        )


KINDS = {
    "results": Kind(
        "results",
        [ID, NAME, Column("year", "考试年度"), Column("subject", "科目"), Column("score", "成绩")],
        _parse_result,
        _existing_results,
        _write_results,
        _results_context,
    ),
    "reviews": Kind(
        "reviews",
        [ID, NAME, Column("review_date", "评审日期"), Column("result", "评审结果")],
        _parse_review,
        _existing_reviews,
        _write_reviews,
    ),
    "qualifications": Kind(
        "qualifications",
        [
            ID,
            NAME,
            Column("level", "等级"),
            Column("certificate_no", "证书编号", required=False),
            Column("obtained_on", "取得日期"),
        ],
        _parse_qualification,
        _existing_qualifications,
        _write_qualifications,
    ),
    "registrations": Kind(
        "registrations",
        [
            ID,
            NAME,
            Column("level", "等级"),
            Column("registered_on", "登记日期"),
            Column("expires_on", "有效期至", required=False),
        ],
        _parse_registration,
        _existing_registrations,
        _write_registrations,
    ),
    "ce": Kind(
        "ce",
        [ID, NAME, Column("date", "日期"), Column("hours", "学时"), Column("description", "内容")],
        _parse_ce,
        _existing_ce,
        _write_ce,
    ),
}


def apply_queued(item: ReviewItem, worker_id: int) -> None:
    """A coordinator matched a queued row to a worker: apply it as the import would have."""
    kind = KINDS[item.kind]
    row = Row(0, item.id_number, item.name, item.key, item.payload, worker_id)
    current = kind.existing([worker_id]).get((worker_id, item.key))
    if item.kind == "registrations":
        held = db.session.scalar(
            sa.select(Qualification.obtained_on).where(
                Qualification.worker_id == worker_id, Qualification.level == Level(item.payload["level"])
            )
        )
        if held is None:
            raise ServiceError(_("The worker holds no qualification at this level."), "worker")
    if current is None:
        kind.write([row], [], item.filename)
    elif current != item.payload:
        kind.write([], [row], item.filename)


def _register() -> None:
    from app.core.access import district_scope
    from app.core.importing import ImportKind, register_import

    for name, kind in KINDS.items():
        register_import(
            ImportKind(
                name=f"exam_{name}",
                plan=lambda filename, data, user, kind=kind: plan_import(
                    kind, filename, data, district_scope(user), user.id
                ),
                apply=lambda plan, filename, kind=kind: apply_import(kind, plan, filename),
                done_endpoint="exams.overview",
            )
        )


_register()
