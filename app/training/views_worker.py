"""The worker's side: my training (and sessions open to join), joining one, checking in by code."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.services import calendar_token
from app.core.access import Role, roles_required
from app.core.actions import perform
from app.core.timeutil import utcnow
from app.training import enrolment_queries, queries, services, throttle
from app.training.blueprint import bp
from app.training.forms import ActionForm, CheckinForm
from app.training.models import EnrolmentState, Mark


@bp.route("/me")
@roles_required(Role.worker)
def my_training():
    if current_user.worker_id is None:
        return render_template("workers/no_record.html")
    mine = enrolment_queries.my_training(current_user.worker_id)
    now = utcnow()
    return render_template(
        "training/mine.html",
        mine=mine,
        open_sessions=enrolment_queries.open_for_enrolment(current_user, now, mine.taken),
        action=ActionForm(),
        checkin=CheckinForm(),
        ics_url=url_for("training.ics", token=calendar_token(current_user), _external=True),
        now=now,
    )


@bp.route("/sessions/<int:session_id>/self-enrol", methods=["POST"])
@roles_required(Role.worker)
def self_enrol(session_id: int):
    session = queries.get_session(current_user, session_id)
    if not ActionForm().validate_on_submit() or current_user.worker_id is None:
        abort(400)
    outcome = perform(services.enrol, session, current_user.worker_id, by_worker=True)
    if outcome and outcome.value.state == EnrolmentState.enrolled:
        flash(_("You are enrolled."), "success")
    elif outcome:
        place = enrolment_queries.waitlist_place(outcome.value)
        flash(_("The session is full: you are number %(n)d on the waitlist.", n=place), "warning")
    return redirect(url_for("training.my_training"))


def _checked_in(attendance) -> None:
    if attendance.mark == Mark.late:
        flash(_("You are checked in (late)."), "warning")
    else:
        flash(_("You are checked in."), "success")


@bp.route("/checkin", methods=["GET", "POST"])
@roles_required(Role.worker)
def checkin():
    form = CheckinForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"][:8]
    if not (form.validate_on_submit() and current_user.worker_id):
        return render_template("training/checkin.html", form=form)
    worker_id = current_user.worker_id
    # wrong codes are counted for the worker and for each meeting they could check in to now
    meeting_ids = [m.id for m in services.checkin_meetings(worker_id, utcnow())]
    wait = throttle.minutes_to_wait(worker_id, meeting_ids)
    if wait:
        form.code.errors = [_("Too many wrong codes. Try again in %(n)d minute(s).", n=wait)]
        return render_template("training/checkin.html", form=form), 429
    outcome = perform(services.self_checkin, worker_id, form.code.data, form=form)
    if outcome:
        _checked_in(outcome.value)
        return redirect(url_for("training.my_training"))
    if isinstance(outcome.error, services.WrongCode):
        throttle.count_wrong_code(worker_id, meeting_ids)
    return render_template("training/checkin.html", form=form)
