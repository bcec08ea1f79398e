import sqlalchemy as sa
from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from app.core import import_views
from app.core.access import Role
from app.core.importing import ImportJob
from app.core.timeutil import local_today
from app.extensions import db
from app.main.blueprint import bp
from app.workers.models import Worker
from app.workers.queries import count_fast, scoped_workers


@bp.route("/")
@login_required
def home():
    if current_user.role == Role.worker:
        return redirect(url_for("workers.my_record"))
    today = local_today()
    scoped = scoped_workers(current_user)
    in_post = scoped.where(Worker.in_post_on(today))
    stats = {"workers": count_fast(scoped), "in_post": count_fast(in_post)}
    jobs = db.session.scalars(
        sa.select(ImportJob).where(ImportJob.user_id == current_user.id).order_by(ImportJob.id.desc()).limit(5)
    ).all()
    context = {"stats": stats, "jobs": jobs, "sessions": [], "runs": []}
    if current_user.role in (Role.coordinator, Role.admin):
        from app.exams import queue
        from app.exams.queries import expiring_within
        from app.training.queries import upcoming_sessions

        context["sessions"] = upcoming_sessions(current_user, limit=5)
        stats["queue"] = queue.pending_count(current_user)
        stats["expiring"] = count_fast(expiring_within(90, today, scoped))
    if current_user.role in (Role.payroll, Role.admin):
        from app.allowance.queries import runs

        context["runs"] = runs()[:3]
    return render_template("main/home.html", **context)


@bp.route("/imports/<int:job_id>")
@login_required
def import_job(job_id: int):
    return import_views.job_status(job_id)
