"""The allowance's part of the due-reminders scan (registered with app/reminders/due.py by the
factory): a statement once a month is locked."""

from datetime import date, datetime

import sqlalchemy as sa

from app.accounts.models import User
from app.allowance.models import AllowanceLine, AllowanceRun, RunState
from app.core.timeutil import add_months, local_today
from app.extensions import db
from app.reminders.due import Item
from app.reminders.models import NoticeKind


def allowance_statements(today: date | None = None) -> list[Item]:
    """To each paid worker of a locked month of the last three (the lock also sends them at once)."""
    since = add_months((today or local_today()).replace(day=1), -2)
    rows = db.session.execute(
        sa.select(User.id, AllowanceRun.id, AllowanceRun.month, sa.func.sum(AllowanceLine.amount))
        .join(AllowanceLine, AllowanceLine.run_id == AllowanceRun.id)
        .join(User, User.worker_id == AllowanceLine.worker_id)
        .where(AllowanceRun.state == RunState.locked, AllowanceRun.month >= since)
        .group_by(User.id, AllowanceRun.id, AllowanceRun.month)
        .having(sa.func.sum(AllowanceLine.amount) != 0)
    ).all()
    return [
        (
            uid,
            NoticeKind.allowance_statement.value,
            f"run:{run_id}",
            f"{month:%Y-%m}",
            {"month": f"{month:%Y-%m}", "amount": f"{amount:.2f}"},
        )
        for uid, run_id, month, amount in rows
    ]


def find_due(_now: datetime, today: date) -> list[Item]:
    return allowance_statements(today)
