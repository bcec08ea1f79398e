"""Reads of runs and lines, scoped by the user's districts."""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from app.allowance.models import AllowanceLine, AllowanceRun, LineKind, RunState
from app.allowance.rules import Month
from app.core.access import district_scope
from app.extensions import db
from app.places.models import District, Street
from app.workers.models import Worker


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


@dataclass
class Total:
    label: str
    lines: int
    amount: Decimal


def totals_by(lines: sa.Select, by: str) -> list[Total]:
    sub = lines.subquery()
    if by == "district":
        key = sa.func.coalesce(District.name, "—")
        stmt = (
            sa.select(key, sa.func.count(), sa.func.sum(sub.c.amount))
            .select_from(sub)
            .outerjoin(District, District.id == sub.c.district_id)
        )
    elif by == "street":
        key = sa.func.coalesce(District.name, "—") + " · " + sa.func.coalesce(Street.name, "—")
        stmt = (
            sa.select(key, sa.func.count(), sa.func.sum(sub.c.amount))
            .select_from(sub)
            .outerjoin(District, District.id == sub.c.district_id)
            .outerjoin(Street, Street.id == sub.c.street_id)
        )
    else:  # level
        key = sa.func.coalesce(sub.c.level, "—")
        stmt = sa.select(key, sa.func.count(), sa.func.sum(sub.c.amount)).select_from(sub)
    rows = db.session.execute(stmt.where(sub.c.amount != 0).group_by(key).order_by(key)).all()
    return [Total(str(label), count, amount or Decimal(0)) for label, count, amount in rows]


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
