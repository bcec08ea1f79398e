"""The talent plan's progress page: training by track and year against the target, certified
workers by level and district at a year's end, exam pass rates; each table as a file."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import STAFF_ROLES, Role, roles_required
from app.core.actions import perform
from app.core.forms import date_arg, int_arg
from app.core.timeutil import local_today
from app.reports import progress_queries as queries
from app.reports import progress_services as services
from app.reports.blueprint import bp
from app.reports.progress import LEVELS, TRACKS
from app.reports.progress_exporter import TABLES, export_table, file_name
from app.reports.progress_forms import TargetForm
from app.reports.views import MIMETYPES

PLAN_EDITORS = (Role.admin,)  # who sets the plan's name and target


def _report():
    """The report as of the day asked (today at most) and the year asked for the certified table."""
    today = local_today()
    as_of = min(date_arg("as_of") or today, today)
    year = int_arg("year", lowest=1990, highest=as_of.year) or as_of.year
    return queries.progress_report(current_user, as_of, year)


@bp.route("/progress")
@roles_required(*STAFF_ROLES)
def progress():
    report = _report()
    form = TargetForm(obj=queries.talent_plan()) if current_user.role in PLAN_EDITORS else None
    return render_template(
        "reports/progress.html",
        report=report,
        tracks=TRACKS,
        levels=LEVELS,
        form=form,
        print_view=request.args.get("print") == "1",
    )


@bp.route("/progress/<table>.<fmt>")
@roles_required(*STAFF_ROLES)
def progress_export(table: str, fmt: str):
    if fmt not in MIMETYPES or table not in TABLES:
        abort(404)
    report = _report()
    lang = "en" if request.args.get("lang") == "en" else "zh"
    return Response(
        export_table(report, table, fmt, lang),
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename={file_name(report, table, fmt)}"},
    )


@bp.route("/progress/target", methods=["POST"])
@roles_required(*PLAN_EDITORS)
def progress_target():
    form = TargetForm()
    if form.validate_on_submit():
        perform(
            services.set_target,
            form.name.data,
            form.target.data,
            success=lambda plan: _("The target is now %(target)d workers.", target=plan.target),
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
    return redirect(url_for("reports.progress"))
