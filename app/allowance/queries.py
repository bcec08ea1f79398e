"""Reads of runs and lines, scoped by the user's districts."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app.allowance.models import (
    AllowanceHold,
    AllowanceLine,
    AllowancePolicy,
    AllowanceRate,
    AllowanceRun,
    AllowanceRunEvent,
    LineKind,
    RunState,
)
from app.allowance.rules import Month
from app.core.access import district_scope
from app.core.services import RecordNotFound
from app.extensions import db
from app.workers.models import Worker
from app.workers.queries import scoped_workers

# The run page's line filters, the first being the default.
FILTERS = ("paid", "ineligible", "held", "arrears", "all")


def month_of(text: str) -> Month:
    """A month named in a URL (YYYY-MM); any other text is a page that does not exist."""
    try:
        return Month.parse(text)
    except ValueError:
        raise RecordNotFound(text) from None


def run_of(text: str) -> AllowanceRun:
    """The run of a month named in a URL; RecordNotFound when there is none."""
    run = run_for(month_of(text))
    if run is None:
        raise RecordNotFound(text)
    return run


def run_for(month: Month) -> AllowanceRun | None:
    return db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.month == month.first))


def runs() -> list[AllowanceRun]:
    return list(db.session.scalars(sa.select(AllowanceRun).order_by(AllowanceRun.month.desc())))


def scoped_lines(user, run: AllowanceRun) -> sa.Select:
    """A run's lines the user may see: a district payroll officer sees their districts only."""
    query = sa.select(AllowanceLine).where(AllowanceLine.run_id == run.id)
    scope = district_scope(user)
    if scope is not None:
        query = query.where(AllowanceLine.part_district_id.in_(scope or [0]))
    return query


def progress(run: AllowanceRun) -> tuple[int, int]:
    return sum(1 for p in run.parts if p.done), len(run.parts)


def is_computing(run: AllowanceRun) -> bool:
    """A draft whose computing has started and not yet finished."""
    return run.state == RunState.draft and run.compute_started_at is not None and run.computed_at is None


def shown_lines(lines: sa.Select, show: str, q: str) -> sa.Select:
    """The run page's lines: one of FILTERS, then a name (part of it) or an ID number, in page order."""
    filtered = {
        "paid": lines.where(AllowanceLine.amount != 0),
        "ineligible": lines.where(AllowanceLine.ineligible.is_not(None)),
        "held": lines.where(AllowanceLine.held.is_(True)),
        "arrears": lines.where(AllowanceLine.kind == LineKind.arrears),
        "all": lines,
    }[show if show in FILTERS else FILTERS[0]]
    if q:
        found = sa.select(Worker.id).where(
            sa.or_(Worker.name.contains(q, autoescape=True), Worker.id_number == q.upper())
        )
        filtered = filtered.where(AllowanceLine.worker_id.in_(found))
    return filtered.order_by(
        AllowanceLine.district_id,
        AllowanceLine.street_id,
        AllowanceLine.worker_id,
        AllowanceLine.kind,
        AllowanceLine.corrects_month,
    )


@dataclass
class Total:
    label: str
    lines: int
    amount: Decimal


def totals_by(lines: sa.Select, by: str) -> list[Total]:
    """Lines with an amount, totalled by district (in code order), street or level."""
    sub = lines.subquery()
    if by == "level":
        rows = db.session.execute(
            sa.select(sub.c.level, sa.func.count(), sa.func.sum(sub.c.amount))
            .where(sub.c.amount != 0)
            .group_by(sub.c.level)
        ).all()
        rows.sort(key=lambda r: r[0].rank if r[0] else -1)
        return [Total(str(level.label) if level else "—", count, amount or Decimal(0)) for level, count, amount in rows]
    # the places as the lines recorded them (a snapshot: a locked month reads the same after renames)
    keys = [sub.c.district_code, sub.c.district_name] + ([sub.c.street_name] if by == "street" else [])
    stmt = sa.select(*keys, sa.func.count(), sa.func.sum(sub.c.amount)).select_from(sub)
    rows = db.session.execute(stmt.where(sub.c.amount != 0).group_by(*keys).order_by(*keys)).all()
    return [Total(" · ".join(str(v) for v in row[1:-2] if v) or "—", row[-2], row[-1] or Decimal(0)) for row in rows]


def grand_total(lines: sa.Select) -> tuple[int, Decimal, int]:
    sub = lines.subquery()
    count, amount, paid = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sub.c.amount), 0),
            sa.func.sum(sa.case((sub.c.amount != 0, 1), else_=0)),
        )
    ).one()
    return count, Decimal(amount), int(paid or 0)


@dataclass
class Change:
    worker: Worker
    before: Decimal | None
    after: Decimal | None
    before_line: AllowanceLine | None
    after_line: AllowanceLine | None


def diff_with_previous(user, run: AllowanceRun, limit: int = 300) -> list[Change] | None:
    """Who is new, who dropped out and whose amount changed, against the month before."""
    previous = run_for(Month(run.month).shift(-1))
    if previous is None:
        return None

    def allowance_lines(r):
        return {
            line.worker_id: line
            for line in db.session.scalars(
                scoped_lines(user, r).where(AllowanceLine.kind == LineKind.allowance, AllowanceLine.amount != 0)
            )
        }

    now, before = allowance_lines(run), allowance_lines(previous)
    changes = []
    for wid in sorted(set(now) | set(before)):
        a, b = now.get(wid), before.get(wid)
        if a and b and a.amount == b.amount:
            continue
        changes.append(Change((a or b).worker, b.amount if b else None, a.amount if a else None, b, a))
        if len(changes) >= limit:
            break
    return changes


def statements(worker_id: int) -> list[tuple[AllowanceRun, list[AllowanceLine]]]:
    """A worker's lines in locked runs, newest month first."""
    rows = db.session.execute(
        sa.select(AllowanceRun, AllowanceLine)
        .join(AllowanceLine, AllowanceLine.run_id == AllowanceRun.id)
        .where(AllowanceLine.worker_id == worker_id, AllowanceRun.state == RunState.locked)
        .order_by(AllowanceRun.month.desc(), AllowanceLine.kind, AllowanceLine.corrects_month)
    ).all()
    out: dict = {}
    for run, line in rows:
        out.setdefault(run.id, (run, []))[1].append(line)
    return list(out.values())


def events(run: AllowanceRun) -> list[AllowanceRunEvent]:
    """The run's timeline, oldest first (instants in UTC; pages show them in Beijing time)."""
    return list(
        db.session.scalars(
            sa.select(AllowanceRunEvent)
            .where(AllowanceRunEvent.run_id == run.id)
            .order_by(AllowanceRunEvent.at, AllowanceRunEvent.id)
        )
    )


def rates_by_level() -> list[AllowanceRate]:
    """Every rate row, by level (local → senior), then start date, city-wide before districts."""
    rows = db.session.scalars(sa.select(AllowanceRate)).all()
    return sorted(rows, key=lambda r: (r.level.rank, r.valid_from, r.district.code if r.district else "", r.id))


def policies() -> list[AllowancePolicy]:
    return list(db.session.scalars(sa.select(AllowancePolicy).order_by(AllowancePolicy.valid_from.desc())))


def policy_in_force(on: date) -> AllowancePolicy | None:
    """The policy row in force on a day (none: the default, a registration is required)."""
    return db.session.scalar(
        sa.select(AllowancePolicy)
        .where(AllowancePolicy.valid_from <= on)
        .order_by(AllowancePolicy.valid_from.desc())
        .limit(1)
    )


def _visible_worker_ids(user) -> sa.Select:
    return sa.select(Worker.id).where(
        Worker.id.in_(scoped_workers(user).with_only_columns(Worker.id).order_by(None).subquery().select())
    )


def scoped_holds(user, limit: int = 500) -> list[AllowanceHold]:
    """The holds on workers in the user's scope, newest month first."""
    return list(
        db.session.scalars(
            sa.select(AllowanceHold)
            .where(AllowanceHold.worker_id.in_(_visible_worker_ids(user)))
            .order_by(AllowanceHold.month.desc())
            .limit(limit)
        )
    )


def scoped_hold(user, hold_id: int) -> AllowanceHold:
    """A hold on a worker in the user's scope; RecordNotFound otherwise (the two look the same)."""
    hold = db.session.get(AllowanceHold, hold_id)
    if hold is None or db.session.scalar(scoped_workers(user).where(Worker.id == hold.worker_id)) is None:
        raise RecordNotFound(hold_id)
    return hold


def scoped_worker_by_id_number(user, number: str) -> Worker | None:
    return db.session.scalar(scoped_workers(user).where(Worker.id_number == number))
