from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from app.core import import_views
from app.core.access import Role
from app.core.timeutil import local_today
from app.main import queries
from app.main.blueprint import bp


@bp.route("/")
@login_required
def home():
    if current_user.role == Role.worker:
        return redirect(url_for("workers.my_record"))
    return render_template("main/home.html", **queries.home(current_user, local_today()))


@bp.route("/imports/<int:job_id>")
@login_required
def import_job(job_id: int):
    return import_views.job_status(job_id)
