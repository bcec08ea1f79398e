"""A month's allowance lines as plain tuples, in a fixed order: what two computations of the same
month must agree on (the Celery tests compare a run resumed or raced against a clean run)."""

from datetime import date

import sqlalchemy as sa

from app.allowance.models import AllowanceLine, AllowanceRun
from app.extensions import db


def month_lines(app, first_day: date) -> list[tuple]:
    with app.app_context():
        db.session.expire_all()
        run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.month == first_day))
        rows = db.session.execute(
            sa.select(
                AllowanceLine.worker_id,
                AllowanceLine.kind,
                AllowanceLine.corrects_month,
                AllowanceLine.amount,
                AllowanceLine.eligible_days,
                AllowanceLine.rate,
                AllowanceLine.formula,
                AllowanceLine.ineligible,
            )
            .where(AllowanceLine.run_id == run.id)
            .order_by(AllowanceLine.worker_id, AllowanceLine.kind, AllowanceLine.corrects_month)
        ).all()
        db.session.remove()
        return [tuple(r) for r in rows]
