"""Enrolment by staff: one worker by ID number, many by a filter (preview, then confirm), and
cancelling an enrolment (staff, or the worker themselves)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import COORDINATION_ROLES, Role, roles_required
from app.core.actions import perform
from app.core.identity import InvalidIdentity, parse_id_number
from app.training import enrolment_queries, queries, services
from app.training.blueprint import bp
from app.training.forms import ActionForm, EnrolForm
from app.training.models import EnrolmentState
from app.training.view_helpers import bulk_filter, bulk_form


def _back(session_id: int):
    return redirect(url_for("training.session_detail", session_id=session_id))


def _worker_to_enrol(form: EnrolForm):
    """The worker the form names, or None with the reason flashed."""
    if not form.validate_on_submit():
        flash(_("Give the worker's ID number."), "danger")
        return None
    try:
        number = parse_id_number(form.id_number.data).number
    except InvalidIdentity as exc:
        flash(str(exc), "danger")
        return None
    worker = enrolment_queries.worker_in_scope(current_user, number)
    if worker is None:
        flash(_("No worker with this ID number is in your scope."), "danger")
    return worker


@bp.route("/sessions/<int:session_id>/enrol", methods=["POST"])
@roles_required(*COORDINATION_ROLES)
def session_enrol(session_id: int):
    session = queries.get_editable_session(current_user, session_id)
    worker = _worker_to_enrol(EnrolForm(prefix="one"))
    if worker is None:
        return _back(session_id)
    outcome = perform(services.enrol, session, worker.id)
    if outcome and outcome.value.state == EnrolmentState.enrolled:
        flash(_("%(name)s is enrolled.", name=worker.name), "success")
    elif outcome:
        flash(_("The session is full: %(name)s is on the waitlist.", name=worker.name), "warning")
    return _back(session_id)


@bp.route("/sessions/<int:session_id>/enrol-bulk", methods=["POST"])
@roles_required(*COORDINATION_ROLES)
def session_enrol_bulk(session_id: int):
    """First the count of workers who match (a preview), then, confirmed, their enrolment."""
    session = queries.get_editable_session(current_user, session_id)
    form = bulk_form(current_user)
    if not form.validate_on_submit():
        flash(_("The filter is not valid."), "danger")
        return _back(session_id)
    worker_ids = enrolment_queries.bulk_candidates(current_user, session, bulk_filter(form))
    if form.confirm.data != "1" or not worker_ids:
        return render_template(
            "training/bulk_preview.html",
            session=session,
            form=form,
            matching=len(worker_ids),
            already=enrolment_queries.already_on(session.id, worker_ids),
            free=max(0, session.capacity - queries.seats(session.id).enrolled),
        )
    perform(
        services.bulk_enrol,
        session,
        worker_ids,
        success=lambda counts: _(
            "%(seated)d enrolled, %(waiting)d on the waitlist, %(already)d already on the list.",
            seated=counts[0],
            waiting=counts[1],
            already=counts[2],
        ),
    )
    return _back(session_id)


@bp.route("/enrolments/<int:enrolment_id>/cancel", methods=["GET", "POST"])
@roles_required(Role.worker, *COORDINATION_ROLES)
def enrolment_cancel(enrolment_id: int):
    """GET asks first (a page with a confirm button); POST removes."""
    enrolment = queries.get_enrolment(current_user, enrolment_id)
    by_worker = current_user.role == Role.worker
    if request.method == "GET":
        return render_template(
            "training/cancel_confirm.html", enrolment=enrolment, by_worker=by_worker, action=ActionForm()
        )
    if not ActionForm().validate_on_submit():
        abort(400)
    session_id = enrolment.session_id
    perform(
        services.cancel_enrolment,
        enrolment,
        by_worker=by_worker,
        success=_("The enrolment has been cancelled."),
    )
    if by_worker:
        return redirect(url_for("training.my_training"))
    return _back(session_id)
