"""The posts file (DOMAIN.md): plan an import (validate every row, no writes), then apply it.

All or nothing: a plan with any error is never applied. Applying is set-based (bulk
statements), so 100,000 rows take seconds; one audit entry summarises the import.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import tabular
from app.core.audit import AuditAction, record
from app.core.bulk import insert_rows
from app.core.identity import InvalidIdentity, normalize_mobile, parse_id_number
from app.core.tabular import Column, RowError
from app.core.timeutil import utcnow
from app.extensions import db
from app.places.models import Community
from app.workers.models import POST_ALIASES, PostPeriod, Worker
from app.workers.services import find_overlap, out_of_reach_message, refresh_current_posts

POSTS_COLUMNS = [
    Column("id_number", "身份证号"),
    Column("name", "姓名"),
    Column("phone", "手机号", required=False),
    Column("community_code", "社区代码"),
    Column("post", "岗位"),
    Column("start_date", "到岗日期"),
    Column("end_date", "离岗日期", required=False),
]

CHUNK = 2000


@dataclass
class PostRow:
    row: int
    id_number: str
    name: str
    phone: str | None
    birth_date: date
    sex: str
    community_id: int
    post_type: object
    start_date: date
    end_date: date | None


@dataclass
class PostsPlan:
    errors: list[RowError] = field(default_factory=list)
    new_workers: list[dict] = field(default_factory=list)
    changed_workers: list[dict] = field(default_factory=list)
    new_periods: list[dict] = field(default_factory=list)  # worker given by id_number until applied
    changed_periods: list[dict] = field(default_factory=list)
    unchanged_rows: int = 0
    total_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return bool(self.new_workers or self.changed_workers or self.new_periods or self.changed_periods)

    def summary(self) -> list[tuple[str, int]]:
        return [
            (_("Rows read"), self.total_rows),
            (_("New workers"), len(self.new_workers)),
            (_("Workers whose name or mobile changes"), len(self.changed_workers)),
            (_("New post periods"), len(self.new_periods)),
            (_("Post periods that change"), len(self.changed_periods)),
            (_("Rows already up to date"), self.unchanged_rows),
        ]


def _post_choices() -> str:
    return "head/书记/主任, deputy/副书记/副主任, member/两委委员, staff/专职工作人员"


def plan_posts_import(filename: str, data: bytes, allowed_districts: set[int] | None) -> PostsPlan:
    """Read and check the whole file; raises tabular.FileRejected when it cannot be read."""
    table = tabular.read_table(filename, data, POSTS_COLUMNS)
    plan = PostsPlan(total_rows=len(table.rows))
    communities = {
        code: (cid, did)
        for code, cid, did in db.session.execute(sa.select(Community.code, Community.id, Community.district_id))
    }
    rows = _parse_rows(table, communities, allowed_districts, plan.errors)
    rows = _check_within_file(rows, table, plan.errors)
    existing_workers, existing_periods = _load_existing({r.id_number for r in rows})
    rows = _check_reach(rows, existing_workers, allowed_districts, table, plan.errors)
    _check_overlaps(rows, existing_workers, existing_periods, table, plan.errors)
    if plan.errors:
        plan.errors.sort(key=lambda e: e.row)
        return plan
    _diff(rows, existing_workers, existing_periods, plan)
    return plan


def _parse_rows(table, communities, allowed, errors) -> list[PostRow]:
    rows = []
    for number, raw in table.rows:
        bad = len(errors)

        def fail(key, message):
            errors.append(RowError(number, table.label(key), message))

        identity = None
        try:
            identity = parse_id_number(tabular.code_text(raw.get("id_number")))
        except (InvalidIdentity, ValueError) as exc:
            fail("id_number", str(exc))
        name = phone = community = post = start = end = None
        try:
            name = tabular.text(raw.get("name"), 64)
        except ValueError as exc:
            fail("name", str(exc))
        try:
            phone_raw = tabular.code_text(raw.get("phone"))
            phone = normalize_mobile(phone_raw) if phone_raw else None
        except (InvalidIdentity, ValueError) as exc:
            fail("phone", str(exc))
        try:
            code = tabular.code_text(raw.get("community_code"))
            if not code:
                raise ValueError(_("is required"))
            community = communities.get(code)
            if community is None:
                raise ValueError(_("community code “%(code)s” is not in the places list", code=code[:20]))
            if allowed is not None and community[1] not in allowed:
                raise ValueError(_("community “%(code)s” is outside your districts", code=code))
        except ValueError as exc:
            fail("community_code", str(exc))
        try:
            post = tabular.choice(raw.get("post"), POST_ALIASES, _post_choices)
        except ValueError as exc:
            fail("post", str(exc))
        try:
            start = tabular.parse_date(raw.get("start_date"))
        except ValueError as exc:
            fail("start_date", str(exc))
        try:
            end = tabular.parse_date(raw.get("end_date"), required=False)
        except ValueError as exc:
            fail("end_date", str(exc))
        if start and end and end < start:
            fail("end_date", _("the end date is before the start date"))
        if len(errors) == bad:
            rows.append(
                PostRow(
                    number,
                    identity.number,
                    name,
                    phone,
                    identity.birth_date,
                    identity.sex,
                    community[0],
                    post,
                    start,
                    end,
                )
            )
    return rows


def _check_within_file(rows: list[PostRow], table, errors) -> list[PostRow]:
    """Report duplicate keys and conflicting names; returns the rows that are not duplicates."""
    first_by_key: dict[tuple, int] = {}
    name_by_id: dict[str, tuple[str, int]] = {}
    unique = []
    for r in rows:
        key = (r.id_number, r.start_date)
        if key in first_by_key:
            errors.append(
                RowError(
                    r.row,
                    table.label("start_date"),
                    _("the same ID number and start date are already in row %(row)d", row=first_by_key[key]),
                )
            )
            continue
        first_by_key[key] = r.row
        unique.append(r)
        seen = name_by_id.setdefault(r.id_number, (r.name, r.row))
        if seen[0] != r.name:
            errors.append(
                RowError(
                    r.row,
                    table.label("name"),
                    _("the same ID number has the name “%(name)s” in row %(row)d", name=seen[0], row=seen[1]),
                )
            )
    return unique


def _load_existing(id_numbers: set[str]):
    workers: dict[str, tuple] = {}
    ids = sorted(id_numbers)
    for i in range(0, len(ids), CHUNK):
        for w in db.session.execute(
            sa.select(Worker.id_number, Worker.id, Worker.name, Worker.phone, Worker.district_id).where(
                Worker.id_number.in_(ids[i : i + CHUNK])
            )
        ):
            workers[w.id_number] = w
    periods: dict[int, list] = defaultdict(list)
    wids = sorted(w.id for w in workers.values())
    for i in range(0, len(wids), CHUNK):
        for p in db.session.execute(
            sa.select(
                PostPeriod.id,
                PostPeriod.worker_id,
                PostPeriod.community_id,
                PostPeriod.post_type,
                PostPeriod.start_date,
                PostPeriod.end_date,
            ).where(PostPeriod.worker_id.in_(wids[i : i + CHUNK]))
        ):
            periods[p.worker_id].append(p)
    return workers, periods


def _check_reach(rows: list[PostRow], existing_workers, allowed: set[int] | None, table, errors) -> list[PostRow]:
    """A row about a registered worker outside the user's districts is refused, and the answer
    says no more than that: nothing of the worker's name, dates or district (issue #10).
    Returns the rows that may go on to be checked against the worker's record."""
    if allowed is None:
        return rows
    kept = []
    for r in rows:
        worker = existing_workers.get(r.id_number)
        if worker is not None and worker.district_id not in allowed:
            errors.append(RowError(r.row, table.label("id_number"), out_of_reach_message()))
        else:
            kept.append(r)
    return kept


def _check_overlaps(rows, existing_workers, existing_periods, table, errors) -> None:
    by_person: dict[str, list[PostRow]] = defaultdict(list)
    for r in rows:
        by_person[r.id_number].append(r)
    for id_number, person_rows in by_person.items():
        starts_in_file = {r.start_date for r in person_rows}
        worker = existing_workers.get(id_number)
        kept = list(existing_periods.get(worker.id, [])) if worker else []
        kept = [p for p in kept if p.start_date not in starts_in_file]  # the file replaces these
        spans = [(r.start_date, r.end_date) for r in person_rows] + [(p.start_date, p.end_date) for p in kept]
        while (pair := find_overlap(spans)) is not None:
            a, b = sorted(pair)
            culprit = person_rows[b] if b < len(person_rows) else person_rows[a]
            other = b if culprit is person_rows[a] else a
            if other < len(person_rows):
                reason = _("the period overlaps the one in row %(row)d", row=person_rows[other].row)
            else:
                span = spans[other]
                reason = _(
                    "the period overlaps the registered post period from %(start)s to %(end)s",
                    start=span[0].isoformat(),
                    end=span[1].isoformat() if span[1] else _("now"),
                )
            errors.append(RowError(culprit.row, table.label("start_date"), reason))
            index = person_rows.index(culprit)
            person_rows = person_rows[:index] + person_rows[index + 1 :]
            spans = spans[:index] + spans[index + 1 :]


def _diff(rows, existing_workers, existing_periods, plan: PostsPlan) -> None:
    done_workers: set[str] = set()
    for r in rows:
        worker = existing_workers.get(r.id_number)
        if r.id_number not in done_workers:
            done_workers.add(r.id_number)
            if worker is None:
                plan.new_workers.append(
                    {
                        "id_number": r.id_number,
                        "name": r.name,
                        "phone": r.phone,
                        "birth_date": r.birth_date,
                        "sex": r.sex,
                    }
                )
            elif worker.name != r.name or (r.phone and worker.phone != r.phone):
                plan.changed_workers.append({"w_id": worker.id, "b_name": r.name, "b_phone": r.phone or worker.phone})
        period_values = {
            "community_id": r.community_id,
            "post_type": r.post_type.name,
            "start_date": r.start_date,
            "end_date": r.end_date,
        }
        match = None
        if worker is not None:
            match = next((p for p in existing_periods.get(worker.id, []) if p.start_date == r.start_date), None)
        if match is None:
            plan.new_periods.append({"id_number": r.id_number, **period_values})
        elif (match.community_id, _post_name(match.post_type), match.end_date) != (
            r.community_id,
            r.post_type.name,
            r.end_date,
        ):
            plan.changed_periods.append({"p_id": match.id, **period_values})
        else:
            plan.unchanged_rows += 1


def _post_name(value) -> str:
    return value.name if hasattr(value, "name") else str(value)


def apply_posts_import(plan: PostsPlan, filename: str) -> dict:
    """Write a checked plan. Returns the counts shown to the user."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    now = utcnow()
    worker_table, period_table = Worker.__table__, PostPeriod.__table__
    insert_rows(worker_table, [{**w, "created_at": now, "updated_at": now} for w in plan.new_workers])
    if plan.changed_workers:
        db.session.execute(
            worker_table.update()
            .where(worker_table.c.id == sa.bindparam("w_id"))
            .values(name=sa.bindparam("b_name"), phone=sa.bindparam("b_phone"), updated_at=now),
            plan.changed_workers,
        )
    ids = {}
    needed = sorted({p["id_number"] for p in plan.new_periods})
    for i in range(0, len(needed), CHUNK):
        ids.update(
            db.session.execute(
                sa.select(Worker.id_number, Worker.id).where(Worker.id_number.in_(needed[i : i + CHUNK]))
            ).all()
        )
    new_periods = [
        {
            "worker_id": ids[p["id_number"]],
            "community_id": p["community_id"],
            "post_type": p["post_type"],
            "start_date": p["start_date"],
            "end_date": p["end_date"],
            "created_at": now,
            "updated_at": now,
        }
        for p in plan.new_periods
    ]
    insert_rows(period_table, new_periods)
    if plan.changed_periods:
        db.session.execute(
            period_table.update()
            .where(period_table.c.id == sa.bindparam("p_id"))
            .values(
                community_id=sa.bindparam("b_community"),
                post_type=sa.bindparam("b_post"),
                end_date=sa.bindparam("b_end"),
                updated_at=now,
            ),
            [
                {"p_id": p["p_id"], "b_community": p["community_id"], "b_post": p["post_type"], "b_end": p["end_date"]}
                for p in plan.changed_periods
            ],
        )
    touched = set(ids.values()) | {w["w_id"] for w in plan.changed_workers}
    if plan.changed_periods:
        touched |= set(
            db.session.scalars(
                sa.select(PostPeriod.worker_id).where(PostPeriod.id.in_([p["p_id"] for p in plan.changed_periods]))
            )
        )
    if len(touched) > 20000:
        refresh_current_posts(None)
    elif touched:
        refresh_current_posts(sorted(touched))
    counts = {
        "new_workers": len(plan.new_workers),
        "changed_workers": len(plan.changed_workers),
        "new_periods": len(plan.new_periods),
        "changed_periods": len(plan.changed_periods),
        "unchanged_rows": plan.unchanged_rows,
    }
    if plan.has_changes:
        record(
            AuditAction.import_,
            "worker",
            None,
            summary=f"posts import {filename}: " + ", ".join(f"{k}={v}" for k, v in counts.items()),
            after=counts,
        )
    return counts


def _register() -> None:
    from app.core.access import district_scope
    from app.core.importing import ImportKind, register_import

    register_import(
        ImportKind(
            name="posts",
            plan=lambda filename, data, user: plan_posts_import(filename, data, district_scope(user)),
            apply=apply_posts_import,
            done_endpoint="workers.worker_list",
        )
    )


_register()
