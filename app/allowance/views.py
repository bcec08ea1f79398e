import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.allowance import access, queries, services
from app.allowance.blueprint import bp
from app.allowance.exporter import MIMETYPES, export_file_name, export_run, why_not_exportable
from app.allowance.forms import (
    ActionForm,
    ComputeForm,
    EndRateForm,
    HoldForm,
    PolicyForm,
    RateForm,
    SupersedeRateForm,
)
from app.allowance.models import AllowanceRate, RunState
from app.allowance.rules import Ineligible, Month
from app.allowance.tasks import queue_compute
from app.core.access import Role, roles_required
from app.core.actions import perform
from app.core.forms import page_number
from app.core.security import safe_redirect_target
from app.core.services import NotPermitted
from app.core.timeutil import local_today
from app.exams.levels import Level
from app.extensions import db
from app.places.queries import all_districts

INELIGIBLE_LABELS = {
    Ineligible.no_qualification.value: lambda: _("No qualification obtained before the month"),
    Ineligible.no_registration.value: lambda: _("No registration covers the month"),
    Ineligible.not_in_post.value: lambda: _("Not in post during the month"),
    Ineligible.no_overlap.value: lambda: _("Posts and registrations share no day"),
    Ineligible.no_rate.value: lambda: _("No rate for the level in the district"),
}


@bp.context_processor
def _access_rules():
    """The allowance's pages ask the same rules as its views: `access.may_approve(current_user, run)`."""
    return {"access": access}


def _allow(allowed: bool) -> None:
    if not allowed:
        raise NotPermitted


@bp.route("/")
@roles_required(*access.READERS)
def run_list():
    return render_template(
        "allowance/runs.html",
        runs=queries.runs(),
        form=ComputeForm(),
        window=[str(m) if m else None for m in services.month_window()],
    )


@bp.route("/compute", methods=["POST"])
@roles_required(*access.OPERATORS)
def run_compute():
    _allow(access.may_compute(current_user))
    form = ComputeForm()
    if not form.validate_on_submit():
        for error in form.month.errors:
            flash(error, "danger")
        return redirect(safe_redirect_target(request.referrer, url_for("allowance.run_list")))
    month = Month.parse(form.month.data)
    outcome = perform(services.start_compute, month, current_user.id)
    if not outcome:
        return redirect(url_for("allowance.run_list"))
    run, districts = outcome.value
    if not queue_compute(run.id, districts):
        flash(
            _("The job queue is unavailable: the work is recorded and starts by itself once the queue is back."),
            "warning",
        )
    return redirect(url_for("allowance.run_detail", month=str(month)))


@bp.route("/runs/<month>")
@roles_required(*access.READERS)
def run_detail(month: str):
    run = queries.run_of(month)
    lines = queries.scoped_lines(current_user, run)
    show = request.args.get("show", "paid")
    show = show if show in queries.FILTERS else "paid"
    q = (request.args.get("q") or "").strip()[:18]
    shown = queries.shown_lines(lines, show, q)
    page = db.paginate(shown, page=page_number(request.args.get("page")), per_page=50, error_out=False)
    done, total = queries.progress(run)
    view = request.args.get("view", "lines")
    return render_template(
        "allowance/run.html",
        run=run,
        page=page,
        show=show,
        q=q,
        filters=queries.FILTERS,
        done=done,
        total=total,
        computing=queries.is_computing(run),
        grand=queries.grand_total(lines),
        by_district=queries.totals_by(lines, "district"),
        by_street=queries.totals_by(lines, "street") if view == "streets" else [],
        by_level=queries.totals_by(lines, "level"),
        view=view,
        changes=queries.diff_with_previous(current_user, run) if view == "diff" else None,
        form=ActionForm(),
        ineligible_labels=INELIGIBLE_LABELS,
        events=queries.events(run),
    )


def _move(month: str, allowed, move, done_message):
    """One of a run's moves (submit, approve, back to draft, lock), then back to its page."""
    _allow(allowed(current_user))
    if not ActionForm().validate_on_submit():
        abort(400)
    run = queries.run_of(month)
    perform(move, run, current_user.id, success=lambda _run: done_message())
    return redirect(url_for("allowance.run_detail", month=month))


@bp.route("/runs/<month>/submit", methods=["POST"])
@roles_required(*access.OPERATORS)
def run_submit(month: str):
    return _move(month, access.may_submit, services.submit, lambda: _("The run has been submitted for approval."))


@bp.route("/runs/<month>/approve", methods=["POST"])
@roles_required(*access.OPERATORS)
def run_approve(month: str):
    # whether this officer may approve this run (not theirs) is the service's refusal, with its reason
    return _move(month, access.may_approve_runs, services.approve, lambda: _("The run has been approved."))


@bp.route("/runs/<month>/reopen", methods=["POST"])
@roles_required(*access.OPERATORS)
def run_reopen(month: str):
    return _move(month, access.may_send_back, services.return_to_draft, lambda: _("The run is a draft again."))


@bp.route("/runs/<month>/lock", methods=["POST"])
@roles_required(*access.OPERATORS)
def run_lock(month: str):
    return _move(month, access.may_lock, services.lock, lambda: _("The run is locked; it will never change."))


@bp.route("/runs/<month>/discard", methods=["GET", "POST"])
@roles_required(*access.OPERATORS)
def run_discard(month: str):
    """A confirmation page; its button discards the draft and its lines."""
    _allow(access.may_discard(current_user))
    run = queries.run_of(month)
    form = ActionForm()
    if run.state != RunState.draft:
        flash(_("Only a draft can be discarded."), "warning")
        return redirect(url_for("allowance.run_detail", month=month))
    if form.validate_on_submit():
        discarded = _("The draft for %(month)s has been discarded.", month=month)
        if perform(services.discard, run, success=discarded):
            return redirect(url_for("allowance.run_list"))
        return redirect(url_for("allowance.run_detail", month=month))
    lines = queries.grand_total(queries.scoped_lines(current_user, run))[0]
    return render_template("allowance/discard.html", run=run, lines=lines, form=form)


@bp.route("/runs/<month>/export.<fmt>")
@roles_required(*access.READERS)
def run_export(month: str, fmt: str):
    if fmt not in MIMETYPES:
        abort(404)
    run = queries.run_of(month)
    refusal = why_not_exportable(run, fmt)
    if refusal is not None:
        flash(refusal, "warning")
        return redirect(url_for("allowance.run_detail", month=month))
    lang = "en" if request.args.get("lang") == "en" else "zh"
    made_by = current_user.display_name or current_user.username
    lines = queries.scoped_lines(current_user, run)
    outcome = perform(export_run, lines, run, fmt, lang, made_by, current_user.id)  # commits the audit entry
    if not outcome:
        return redirect(url_for("allowance.run_detail", month=month))
    content, _digest = outcome.value
    return send_file(
        io.BytesIO(content), mimetype=MIMETYPES[fmt], as_attachment=True, download_name=export_file_name(run, fmt, lang)
    )


# ---- rates and policy ----


@bp.route("/rates", methods=["GET", "POST"])
@roles_required(*access.READERS)
def rates():
    form, policy_form = RateForm(prefix="rate"), PolicyForm(prefix="policy")
    form.district.choices = [("", _("City-wide"))] + [(d.code, f"{d.code} {d.name}") for d in all_districts()]
    if request.method == "POST":
        _allow(access.may_edit_rates(current_user))
        if "rate-level" in request.form and form.validate_on_submit():
            added = perform(
                services.set_rate,
                Level(form.level.data),
                form.amount.data,
                form.valid_from.data,
                form.valid_to.data,
                form.district.data or None,
                form=form,
                success=_("The rate has been added."),
            )
            if added:
                return redirect(url_for("allowance.rates"))
        elif "policy-valid_from" in request.form and policy_form.validate_on_submit():
            data = policy_form.valid_from.data, policy_form.registration_required.data
            if perform(services.set_registration_required, *data, success=_("The policy has been saved.")):
                return redirect(url_for("allowance.rates"))
    return render_template(
        "allowance/rates.html",
        rows=queries.rates_by_level(),
        policies=queries.policies(),
        policy_now=queries.policy_in_force(local_today()),
        today=local_today(),
        form=form,
        policy_form=policy_form,
    )


@bp.route("/rates/<int:rate_id>", methods=["GET", "POST"])
@roles_required(*access.RATE_EDITORS)
def rate_edit(rate_id: int):
    """End a rate (its last day in force) or replace it by a newer amount from a date."""
    rate = db.get_or_404(AllowanceRate, rate_id)
    end_form, newer_form = EndRateForm(prefix="end"), SupersedeRateForm(prefix="newer")
    saved, done = None, _("The rate has been saved.")
    if "end-valid_to" in request.form and end_form.validate_on_submit():
        saved = perform(services.end_rate, rate, end_form.valid_to.data, form=end_form, success=done)
    elif "newer-amount" in request.form and newer_form.validate_on_submit():
        newer = newer_form.amount.data, newer_form.valid_from.data
        saved = perform(services.supersede_rate, rate, *newer, form=newer_form, success=done)
    if saved:
        return redirect(url_for("allowance.rates"))
    return render_template("allowance/rate.html", rate=rate, end_form=end_form, newer_form=newer_form)


# ---- holds ----


@bp.route("/holds", methods=["GET", "POST"])
@roles_required(*access.HOLDERS)
def holds():
    form = HoldForm()
    if form.validate_on_submit():
        held = perform(
            services.hold_in_scope,
            current_user,
            form.id_number.data,
            Month.parse(form.month.data),
            form.reason.data,
            form=form,
            success=_("The hold has been saved."),
        )
        if held:
            return redirect(url_for("allowance.holds"))
    rows = queries.scoped_holds(current_user)
    return render_template("allowance/holds.html", form=form, rows=rows, action_form=ActionForm())


@bp.route("/holds/<int:hold_id>/delete", methods=["POST"])
@roles_required(*access.HOLDERS)
def hold_delete(hold_id: int):
    hold = queries.scoped_hold(current_user, hold_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    perform(services.remove_hold, hold, success=_("The hold has been removed."))
    return redirect(url_for("allowance.holds"))


# ---- the worker's statements ----


@bp.route("/me")
@roles_required(Role.worker)
def my_statements():
    statements = queries.statements(current_user.worker_id) if current_user.worker_id else []
    return render_template("allowance/mine.html", statements=statements, ineligible_labels=INELIGIBLE_LABELS)
