"""What a run's moves tell people, through the reminders' notices: a submitted run asks the other
payroll officers to approve it (settled once it is approved or sent back); a locked one sends
each paid worker their statement."""

import sqlalchemy as sa

from app.accounts.models import User
from app.allowance.models import AllowanceLine, AllowanceRun
from app.core.access import Role
from app.extensions import db
from app.reminders import notices

RUN_SUBMITTED = "run_submitted"  # the notice kind asking the other officers to approve


def settle_request_to_approve(run: AllowanceRun) -> None:
    """Once the run is approved or sent back, nobody is still asked to approve it."""
    notices.settle(RUN_SUBMITTED, f"run:{run.id}")


def ask_other_officers_to_approve(run: AllowanceRun, submitter_id: int) -> None:
    submitter = db.session.get(User, submitter_id)
    others = list(
        db.session.scalars(
            sa.select(User.id).where(User.role == Role.payroll, User.active.is_(True), User.id != submitter_id)
        )
    )
    month = f"{run.month:%Y-%m}"
    notices.notify(
        others,
        RUN_SUBMITTED,
        f"run:{run.id}",
        f"submitted:{run.submitted_at.isoformat()}",
        {"month": month, "by": submitter.display_name if submitter else ""},
    )


def send_statements(run: AllowanceRun) -> None:
    """Each paid worker is told once the month is locked (never before)."""
    rows = db.session.execute(
        sa.select(User.id, sa.func.sum(AllowanceLine.amount))
        .join(User, User.worker_id == AllowanceLine.worker_id)
        .where(AllowanceLine.run_id == run.id)
        .group_by(User.id)
        .having(sa.func.sum(AllowanceLine.amount) != 0)
    ).all()
    month = f"{run.month:%Y-%m}"
    notices.notify_many(
        [
            (uid, "allowance_statement", f"run:{run.id}", month, {"month": month, "amount": f"{amount:.2f}"})
            for uid, amount in rows
        ]
    )
