"""What /metrics reads of the allowance (registered by the factory: core knows no domain)."""

import sqlalchemy as sa

from app.allowance.models import AllowanceRun, RunState
from app.extensions import db


def _last_locked() -> AllowanceRun | None:
    stmt = sa.select(AllowanceRun).where(AllowanceRun.state == RunState.locked).order_by(AllowanceRun.month.desc())
    return db.session.scalars(stmt.limit(1)).first()


def last_locked_month() -> int:
    """The last locked month as YYYYMM (202604), 0 before the first: a month is done once locked."""
    run = _last_locked()
    return run.month.year * 100 + run.month.month if run else 0


def last_locked_at() -> float:
    """When the last locked month was locked (Unix seconds), 0 before the first."""
    run = _last_locked()
    return run.locked_at.timestamp() if run and run.locked_at else 0
