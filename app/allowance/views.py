import io

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.allowance import queries, services
from app.allowance.blueprint import bp
from app.allowance.exporter import check_exportable, export_file_name, export_run
from app.allowance.forms import (
    ActionForm,
    ComputeForm,
    EndRateForm,
    HoldForm,
    PolicyForm,
    RateForm,
    SupersedeRateForm,
)
from app.allowance.models import AllowanceHold, AllowanceLine, AllowanceRate, LineKind, RunState
from app.allowance.rules import Ineligible, Month
from app.allowance.tasks import queue_compute
from app.core.access import Role, district_scope, roles_required
from app.core.forms import page_number, show_service_error
from app.core.identity import InvalidIdentity, parse_id_number
from app.core.security import safe_redirect_target
from app.core.services import ServiceError
from app.core.timeutil import local_today
from app.exams.levels import Level
from app.extensions import db
from app.places.queries import all_districts
from app.workers.models import Worker
from app.workers.queries import scoped_workers

PAYROLL = (Role.payroll, Role.admin)
INELIGIBLE_LABELS = {
    Ineligible.no_qualification.value: lambda: _("No qualification obtained before the month"),
    Ineligible.no_registration.value: lambda: _("No registration covers the month"),
    Ineligible.not_in_post.value: lambda: _("Not in post during the month"),
    Ineligible.no_overlap.value: lambda: _("Posts and registrations share no day"),
    Ineligible.no_rate.value: lambda: _("No rate for the level in the district"),
}
FILTERS = ("paid", "ineligible", "held", "arrears", "all")


def _is_operator() -> bool:
    return current_user.role == Role.payroll and district_scope(current_user) is None


def _operator():
    """Computing and moving runs is for city-wide payroll officers."""
    if not _is_operator():
        abort(403)


def _month_or_404(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError:
        abort(404)


@bp.route("/")
@roles_required(*PAYROLL)
def run_list():
    return render_template(
        "allowance/runs.html",
        runs=queries.runs(),
        form=ComputeForm(),
        window=[str(m) if m else None for m in services.month_window()],
        can_operate=_is_operator(),
    )


@bp.route("/compute", methods=["POST"])
@roles_required(Role.payroll)
def run_compute():
    _operator()
    form = ComputeForm()
    if not form.validate_on_submit():
        for error in form.month.errors:
            flash(error, "danger")
        return redirect(safe_redirect_target(request.referrer, url_for("allowance.run_list")))
    month = Month.parse(form.month.data)
    try:
        run, districts = services.start_compute(month, current_user.id)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("allowance.run_list"))
    db.session.commit()
    queue_compute(run.id, districts)
    return redirect(url_for("allowance.run_detail", month=str(month)))


@bp.route("/runs/<month>")
@roles_required(*PAYROLL)
def run_detail(month: str):
    m = _month_or_404(month)
    run = queries.run_for(m)
    if run is None:
        abort(404)
    lines = queries.scoped_lines(current_user, run)
    show = request.args.get("show", "paid")
    show = show if show in FILTERS else "paid"
    filtered = {
        "paid": lines.where(AllowanceLine.amount != 0),
        "ineligible": lines.where(AllowanceLine.ineligible.is_not(None)),
        "held": lines.where(AllowanceLine.held.is_(True)),
        "arrears": lines.where(AllowanceLine.kind == LineKind.arrears),
        "all": lines,
    }[show]
    q = (request.args.get("q") or "").strip()[:18]
    if q:
        filtered = filtered.where(
            AllowanceLine.worker_id.in_(
                sa.select(Worker.id).where(
                    sa.or_(Worker.name.contains(q, autoescape=True), Worker.id_number == q.upper())
                )
            )
        )
    filtered = filtered.order_by(
        AllowanceLine.district_id,
        AllowanceLine.street_id,
        AllowanceLine.worker_id,
        AllowanceLine.kind,
        AllowanceLine.corrects_month,
    )
    page = db.paginate(filtered, page=page_number(request.args.get("page")), per_page=50, error_out=False)
    done, total = queries.progress(run)
    computing = run.state == RunState.draft and run.compute_started_at is not None and run.computed_at is None
    view = request.args.get("view", "lines")
    return render_template(
        "allowance/run.html",
        run=run,
        page=page,
        show=show,
        q=q,
        filters=FILTERS,
        done=done,
        total=total,
        computing=computing,
        grand=queries.grand_total(lines),
        by_district=queries.totals_by(lines, "district"),
        by_street=queries.totals_by(lines, "street") if view == "streets" else [],
        by_level=queries.totals_by(lines, "level"),
        view=view,
        changes=queries.diff_with_previous(current_user, run) if view == "diff" else None,
        form=ActionForm(),
        ineligible_labels=INELIGIBLE_LABELS,
        can_operate=_is_operator(),
        can_approve=_is_operator() and services.may_approve(run, current_user.id),
        events=queries.events(run),
    )


def _transition(month: str, fn, done_message):
    _operator()
    if not ActionForm().validate_on_submit():
        abort(400)
    run = queries.run_for(_month_or_404(month))
    if run is None:
        abort(404)
    try:
        fn(run, current_user.id)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(done_message(), "success")
    return redirect(url_for("allowance.run_detail", month=month))


@bp.route("/runs/<month>/submit", methods=["POST"])
@roles_required(Role.payroll)
def run_submit(month: str):
    return _transition(month, services.submit, lambda: _("The run has been submitted for approval."))


@bp.route("/runs/<month>/approve", methods=["POST"])
@roles_required(Role.payroll)
def run_approve(month: str):
    return _transition(month, services.approve, lambda: _("The run has been approved."))


@bp.route("/runs/<month>/reopen", methods=["POST"])
@roles_required(Role.payroll)
def run_reopen(month: str):
    return _transition(month, services.return_to_draft, lambda: _("The run is a draft again."))


@bp.route("/runs/<month>/lock", methods=["POST"])
@roles_required(Role.payroll)
def run_lock(month: str):
    return _transition(month, services.lock, lambda: _("The run is locked; it will never change."))


@bp.route("/runs/<month>/discard", methods=["GET", "POST"])
@roles_required(Role.payroll)
def run_discard(month: str):
    """A confirmation page; its button discards the draft and its lines."""
    _operator()
    run = queries.run_for(_month_or_404(month))
    if run is None:
        abort(404)
    form = ActionForm()
    if run.state != RunState.draft:
        flash(_("Only a draft can be discarded."), "warning")
        return redirect(url_for("allowance.run_detail", month=month))
    if form.validate_on_submit():
        try:
            services.discard(run, current_user.id)
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(url_for("allowance.run_detail", month=month))
        db.session.commit()
        flash(_("The draft for %(month)s has been discarded.", month=month), "success")
        return redirect(url_for("allowance.run_list"))
    lines = queries.grand_total(queries.scoped_lines(current_user, run))[0]
    return render_template("allowance/discard.html", run=run, lines=lines, form=form)


@bp.route("/runs/<month>/export.<fmt>")
@roles_required(*PAYROLL)
def run_export(month: str, fmt: str):
    if fmt not in ("xlsx", "csv"):
        abort(404)
    run = queries.run_for(_month_or_404(month))
    if run is None:
        abort(404)
    try:
        check_exportable(run, fmt)
    except ServiceError as exc:
        flash(exc.message, "warning")
        return redirect(url_for("allowance.run_detail", month=month))
    lang = "en" if request.args.get("lang") == "en" else "zh"
    made_by = current_user.display_name or current_user.username
    content, _digest = export_run(queries.scoped_lines(current_user, run), run, fmt, lang, made_by, current_user.id)
    db.session.commit()
    mimetype = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return send_file(
        io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=export_file_name(run, fmt, lang)
    )


# ---- rates and policy ----


@bp.route("/rates", methods=["GET", "POST"])
@roles_required(*PAYROLL)
def rates():
    form, policy_form = RateForm(prefix="rate"), PolicyForm(prefix="policy")
    form.district.choices = [("", _("City-wide"))] + [(d.code, f"{d.code} {d.name}") for d in all_districts()]
    if request.method == "POST":
        if current_user.role != Role.admin:
            abort(403)
        if "rate-level" in request.form and form.validate_on_submit():
            try:
                services.set_rate(
                    Level(form.level.data),
                    form.amount.data,
                    form.valid_from.data,
                    form.valid_to.data,
                    form.district.data or None,
                )
            except ServiceError as exc:
                db.session.rollback()
                show_service_error(form, exc)
            else:
                db.session.commit()
                flash(_("The rate has been added."), "success")
                return redirect(url_for("allowance.rates"))
        elif "policy-valid_from" in request.form and policy_form.validate_on_submit():
            services.set_registration_required(policy_form.valid_from.data, policy_form.registration_required.data)
            db.session.commit()
            flash(_("The policy has been saved."), "success")
            return redirect(url_for("allowance.rates"))
    return render_template(
        "allowance/rates.html",
        rows=queries.rates_by_level(),
        policies=queries.policies(),
        policy_now=queries.policy_in_force(local_today()),
        today=local_today(),
        form=form,
        policy_form=policy_form,
        can_edit=current_user.role == Role.admin,
    )


@bp.route("/rates/<int:rate_id>", methods=["GET", "POST"])
@roles_required(Role.admin)
def rate_edit(rate_id: int):
    """End a rate (its last day in force) or replace it by a newer amount from a date."""
    rate = db.get_or_404(AllowanceRate, rate_id)
    end_form, newer_form = EndRateForm(prefix="end"), SupersedeRateForm(prefix="newer")
    response = None
    if "end-valid_to" in request.form and end_form.validate_on_submit():
        response = _change_rate(end_form, services.end_rate, rate, end_form.valid_to.data)
    elif "newer-amount" in request.form and newer_form.validate_on_submit():
        response = _change_rate(
            newer_form, services.supersede_rate, rate, newer_form.amount.data, newer_form.valid_from.data
        )
    return response or render_template("allowance/rate.html", rate=rate, end_form=end_form, newer_form=newer_form)


def _change_rate(form, change, *args):
    try:
        change(*args)
    except ServiceError as exc:
        db.session.rollback()
        show_service_error(form, exc)
        return None
    db.session.commit()
    flash(_("The rate has been saved."), "success")
    return redirect(url_for("allowance.rates"))


# ---- holds ----


@bp.route("/holds", methods=["GET", "POST"])
@roles_required(Role.payroll)
def holds():
    form = HoldForm()
    if form.validate_on_submit():
        try:
            number = parse_id_number(form.id_number.data).number
        except InvalidIdentity as exc:
            form.id_number.errors.append(str(exc))
        else:
            worker = db.session.scalar(scoped_workers(current_user).where(Worker.id_number == number))
            if worker is None:
                form.id_number.errors.append(_("No worker with this ID number is in your scope."))
            else:
                try:
                    services.add_hold(worker.id, Month.parse(form.month.data), form.reason.data)
                except ServiceError as exc:
                    db.session.rollback()
                    show_service_error(form, exc)
                else:
                    db.session.commit()
                    flash(_("The hold has been saved."), "success")
                    return redirect(url_for("allowance.holds"))
    visible = sa.select(Worker.id).where(
        Worker.id.in_(scoped_workers(current_user).with_only_columns(Worker.id).order_by(None).subquery().select())
    )
    rows = db.session.scalars(
        sa.select(AllowanceHold)
        .where(AllowanceHold.worker_id.in_(visible))
        .order_by(AllowanceHold.month.desc())
        .limit(500)
    ).all()
    return render_template("allowance/holds.html", form=form, rows=rows, action_form=ActionForm())


@bp.route("/holds/<int:hold_id>/delete", methods=["POST"])
@roles_required(Role.payroll)
def hold_delete(hold_id: int):
    hold = db.get_or_404(AllowanceHold, hold_id)
    if db.session.scalar(scoped_workers(current_user).where(Worker.id == hold.worker_id)) is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.remove_hold(hold)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("The hold has been removed."), "success")
    return redirect(url_for("allowance.holds"))


# ---- the worker's statements ----


@bp.route("/me")
@roles_required(Role.worker)
def my_statements():
    statements = queries.statements(current_user.worker_id) if current_user.worker_id else []
    return render_template("allowance/mine.html", statements=statements, ineligible_labels=INELIGIBLE_LABELS)
