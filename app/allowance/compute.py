"""Computing a month: one district at a time (one Celery task each), or the whole month at once.

On PostgreSQL a part (or the month) is one set-based statement, sql_month.py; elsewhere
(SQLite) rules.py computes it in Python, as follows; implementation() picks one. Each part
loads its workers' posts, qualifications, registrations and holds with a handful of statements,
applies rules.compute in memory, and replaces its lines in one transaction, so a
part that dies leaves nothing behind and a rerun gives the same lines. Arrears (rule 7) are
worked out in the same pass: every locked month of the last 12 is recomputed with today's data
and compared with what was paid for it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from app.allowance import queries, rules, sql_month
from app.allowance.models import (
    AllowanceHold,
    AllowanceLine,
    AllowanceRate,
    AllowanceRun,
    AllowanceRunPart,
    LineKind,
    RunState,
)
from app.allowance.rules import Month
from app.core.bulk import insert_rows
from app.core.timeutil import utcnow
from app.exams.models import Qualification, Registration
from app.extensions import db
from app.places.models import Community, District, Street
from app.workers.models import PostPeriod, Worker

ARREARS_MONTHS = 12


def registration_required(month: Month) -> bool:
    row = queries.policy_in_force(month.first)
    return True if row is None else row.registration_required


def all_rates() -> list[rules.Rate]:
    return [
        rules.Rate(r.id, r.level, r.district_id, r.amount, r.valid_from, r.valid_to)
        for r in db.session.scalars(sa.select(AllowanceRate))
    ]


def _part_filter(district_id: int | None):
    return Worker.district_id.is_(None) if district_id is None else Worker.district_id == district_id


def _line_filter(district_id: int | None):
    col = AllowanceLine.part_district_id
    return col.is_(None) if district_id is None else col == district_id


def implementation() -> str:
    """The one place that picks how lines are computed: set-based SQL on PostgreSQL
    (sql_month.py), rules.py in Python elsewhere (SQLite, the embedded default)."""
    return "sql" if db.session.connection().dialect.name == "postgresql" else "python"


def compute_part(run_id: int, district_id: int | None, using: str | None = None) -> int:
    """Replace one district's lines of a draft run. Returns how many lines it wrote. Commits nothing.
    `using` ("sql" or "python") overrides implementation(), for the differential test."""
    part = db.session.scalar(
        sa.select(AllowanceRunPart)
        .where(AllowanceRunPart.run_id == run_id, _part_null_safe(district_id))
        .with_for_update()
    )
    run = db.session.get(AllowanceRun, run_id)
    if part is None or run is None or run.state != RunState.draft:
        return 0
    month = Month(run.month)
    locked = _locked_months(month)
    if (using or implementation()) == "sql":
        count = sql_month.replace_lines(run.id, month, locked, [district_id])
    else:
        earliest = min([month, *locked], key=lambda m: m.first)
        worker_ids = db.session.scalars(sa.select(Worker.id).where(_part_filter(district_id))).all()
        who = sa.select(Worker.id).where(_part_filter(district_id))  # joined on the district, not an id list
        lines = _lines_for(run, month, locked, earliest, worker_ids, who, district_id)
        db.session.execute(sa.delete(AllowanceLine).where(AllowanceLine.run_id == run_id, _line_filter(district_id)))
        insert_rows(AllowanceLine.__table__, lines)
        count = len(lines)
    part.done, part.lines, part.finished_at = True, count, utcnow()
    db.session.flush()
    return count


def compute_month(run_id: int, progress=None) -> int:
    """Replace every part's lines of a draft run: one statement on PostgreSQL, part by part
    elsewhere. Returns how many lines it wrote. Commits nothing. `progress(n)` is told of each
    n parts done (a terminal's progress bar)."""
    if implementation() != "sql":
        parts = db.session.scalars(sa.select(AllowanceRunPart.district_id).where(AllowanceRunPart.run_id == run_id))
        count = 0
        for district_id in list(parts):
            count += compute_part(run_id, district_id)
            if progress:
                progress(1)
        return count
    count = compute_parts(run_id, None)
    if progress:
        progress(len(db.session.scalars(sa.select(AllowanceRunPart.id).where(AllowanceRunPart.run_id == run_id)).all()))
    return count


def compute_parts(run_id: int, districts: list[int | None] | None, lock_run: bool = True) -> int:
    """On PostgreSQL: replace the lines of some parts of a draft run (`districts`: their district
    ids, None among them for the workers without a post; None: every part) by one set-based
    statement, and mark those parts done. Returns how many lines it wrote. Commits nothing.
    `lock_run` False: the run is only kept from being deleted meanwhile (FOR KEY SHARE), so that
    several connections compute its parts at once (parallel.py); the parts are locked either way."""
    query = sa.select(AllowanceRun).where(AllowanceRun.id == run_id)
    run = db.session.scalar(query.with_for_update() if lock_run else query.with_for_update(read=True, key_share=True))
    if run is None or run.state != RunState.draft:
        return 0
    chosen = AllowanceRunPart.run_id == run_id
    if districts is not None:
        named = [d for d in districts if d is not None]
        chosen = sa.and_(
            chosen,
            sa.or_(
                AllowanceRunPart.district_id.in_(named),
                AllowanceRunPart.district_id.is_(None) if None in districts else sa.false(),
            ),
        )
    parts = db.session.scalars(sa.select(AllowanceRunPart).where(chosen).with_for_update()).all()
    month = Month(run.month)
    count = sql_month.replace_lines(run.id, month, _locked_months(month), districts)
    counts = dict(
        db.session.execute(
            sa.select(AllowanceLine.part_district_id, sa.func.count())
            .where(AllowanceLine.run_id == run_id)
            .group_by(AllowanceLine.part_district_id)
        ).all()
    )
    now = utcnow()
    for part in parts:
        part.done, part.lines, part.finished_at = True, counts.get(part.district_id, 0), now
    db.session.flush()
    return count


def _part_null_safe(district_id):
    col = AllowanceRunPart.district_id
    return col.is_(None) if district_id is None else col == district_id


def _locked_months(month: Month) -> list[Month]:
    window = [m.first for m in rules.months_back(month, ARREARS_MONTHS)]
    return [
        Month(d)
        for d in db.session.scalars(
            sa.select(AllowanceRun.month).where(AllowanceRun.month.in_(window), AllowanceRun.state == RunState.locked)
        )
    ]


@dataclass
class _Evidence:
    """What a part's workers hold, as plain rows keyed by worker (no ORM objects)."""

    posts: dict = field(default_factory=lambda: defaultdict(list))
    held: dict = field(default_factory=lambda: defaultdict(list))
    covered: dict = field(default_factory=lambda: defaultdict(list))
    holds: dict = field(default_factory=dict)


def _load(month: Month, earliest: Month, who) -> _Evidence:
    """Posts, qualifications, registrations and holds of the workers `who` selects, as plain rows."""
    ev = _Evidence()
    for p in db.session.execute(
        sa.select(
            PostPeriod.worker_id,
            PostPeriod.start_date,
            PostPeriod.end_date,
            Community.district_id,
            Community.street_id,
            Community.id,
        )
        .join(Community, Community.id == PostPeriod.community_id)
        .where(
            PostPeriod.worker_id.in_(who),
            PostPeriod.start_date <= month.last,
            sa.or_(PostPeriod.end_date.is_(None), PostPeriod.end_date >= earliest.first),
        )
    ):
        ev.posts[p[0]].append(rules.Post(p[1], p[2], p[3], p[4], p[5]))
    for q in db.session.execute(
        sa.select(
            Qualification.worker_id, Qualification.level, Qualification.obtained_on, Qualification.certificate_no
        ).where(Qualification.worker_id.in_(who), Qualification.obtained_on < month.first)
    ):
        ev.held[q[0]].append(rules.Held(q[1], q[2], q[3]))
    for r in db.session.execute(
        sa.select(
            Registration.worker_id, Registration.level, Registration.registered_on, Registration.expires_on
        ).where(
            Registration.worker_id.in_(who),
            Registration.registered_on <= month.last,
            Registration.expires_on >= earliest.first,
        )
    ):
        ev.covered[r[0]].append(rules.Covered(r[1], r[2], r[3]))
    for h in db.session.execute(
        sa.select(AllowanceHold.worker_id, AllowanceHold.month, AllowanceHold.reason).where(
            AllowanceHold.worker_id.in_(who), AllowanceHold.month >= earliest.first
        )
    ):
        ev.holds[(h[0], h[1])] = h[2]
    return ev


def _place_names() -> dict[int, tuple]:
    """Per community: its district's code and name, its street's name and its own name (the
    line's snapshot of where the worker was in post, rule 6)."""
    rows = db.session.execute(
        sa.select(Community.id, District.code, District.name, Street.name, Community.name)
        .join(Street, Street.id == Community.street_id)
        .join(District, District.id == Community.district_id)
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def _lines_for(run, month, locked, earliest, worker_ids, who, district_id) -> list[dict]:
    ev = _load(month, earliest, who)
    paid = _paid(run.id, locked, who)
    paid_workers = {wid for wid, _month in paid}
    rates = all_rates()
    required = {m.first: registration_required(m) for m in [month, *locked]}
    places = _place_names()

    def line(wid, m: Month) -> rules.Line:
        posts, held, covered = ev.posts.get(wid, []), ev.held.get(wid, []), ev.covered.get(wid, [])
        return rules.compute(m, posts, held, covered, rates, required[m.first], ev.holds.get((wid, m.first)))

    out = []
    for wid in worker_ids:
        if ev.held.get(wid):
            due = line(wid, month)
            out.append(_row(run.id, wid, LineKind.allowance, month, due, district_id, due.formula, places))
        elif wid not in paid_workers:
            continue  # nothing held and nothing ever paid: no locked month can owe anything either way
        for p in locked:
            due = line(wid, p)
            before = paid.get((wid, p.first), Decimal("0.00"))
            diff = due.amount - before
            if diff != 0:
                formula = f"{p}: {due.amount:.2f} − {before:.2f} = {diff:+.2f}"
                if due.formula:
                    formula += f" ({due.formula})"
                out.append(_row(run.id, wid, LineKind.arrears, p, due, district_id, formula, places, amount=diff))
    return out


def _paid(run_id: int, locked: list[Month], who) -> dict:
    """What was paid for each locked month: its own line, plus arrears for it posted in any other
    run (so that arrears are never posted twice, even before the run that posted them is locked)."""
    if not locked:
        return {}
    paid: dict = defaultdict(Decimal)
    months = [m.first for m in locked]
    own = (
        sa.select(AllowanceLine.worker_id, AllowanceLine.corrects_month, AllowanceLine.amount)
        .join(AllowanceRun, AllowanceRun.id == AllowanceLine.run_id)
        .where(
            AllowanceRun.month == AllowanceLine.corrects_month,
            AllowanceLine.kind == LineKind.allowance,
            AllowanceRun.month.in_(months),
        )
    )
    arrears = sa.select(AllowanceLine.worker_id, AllowanceLine.corrects_month, AllowanceLine.amount).where(
        AllowanceLine.kind == LineKind.arrears, AllowanceLine.corrects_month.in_(months), AllowanceLine.run_id != run_id
    )
    for stmt in (own, arrears):
        for wid, m, amount in db.session.execute(stmt.where(AllowanceLine.worker_id.in_(who))):
            paid[(wid, m)] += amount
    return paid


def _row(run_id, worker_id, kind, month, line: rules.Line, part_district_id, formula, places, amount=None) -> dict:
    district_code, district_name, street_name, community_name = places.get(line.community_id, (None,) * 4)
    return {
        "run_id": run_id,
        "worker_id": worker_id,
        "kind": kind.name,
        "corrects_month": month.first,
        "part_district_id": part_district_id,
        "district_id": line.district_id,
        "street_id": line.street_id,
        "community_id": line.community_id,
        "district_code": district_code,
        "district_name": district_name,
        "street_name": street_name,
        "community_name": community_name,
        "level": line.level.name if line.level else None,
        "certificate_no": line.certificate_no,
        "rate_id": line.rate_id,
        "rate": line.rate,
        "eligible_days": line.eligible_days,
        "days_in_month": line.days_in_month,
        "amount": line.amount if amount is None else amount,
        "ineligible": line.ineligible.value if line.ineligible else None,
        "held": line.held,
        "hold_reason": line.hold_reason,
        "formula": formula[:200],
    }
