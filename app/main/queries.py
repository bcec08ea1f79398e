"""What the home page shows each role: counts in the user's scope, upcoming training, recent runs."""

from datetime import date

import sqlalchemy as sa

from app.allowance.queries import runs
from app.core.access import COORDINATION_ROLES, PAYROLL_ROLES
from app.core.importing import ImportJob
from app.core.totals import count_rows
from app.exams import queue
from app.exams.queries import expiring_within
from app.extensions import db
from app.training.queries import upcoming_sessions
from app.workers.models import Worker
from app.workers.queries import scoped_workers, worker_total


def home(user, today: date) -> dict:
    """The home page's context: stats, the user's recent imports, sessions and runs for their role."""
    scoped = scoped_workers(user)
    stats = {
        "workers": worker_total(user, scoped, "all", today),
        "in_post": worker_total(user, scoped.where(Worker.in_post_on(today)), "in post", today),
    }
    jobs = db.session.scalars(
        sa.select(ImportJob).where(ImportJob.user_id == user.id).order_by(ImportJob.id.desc()).limit(5)
    ).all()
    context = {"stats": stats, "jobs": jobs, "sessions": None, "runs": []}  # sessions: None, not shown
    if user.role in COORDINATION_ROLES:
        context["sessions"] = upcoming_sessions(user, limit=5)
        stats["queue"] = queue.pending_count(user)
        stats["expiring"] = count_rows(expiring_within(90, today, scoped))
    if user.role in PAYROLL_ROLES:
        context["runs"] = runs()[:3]
    return context
