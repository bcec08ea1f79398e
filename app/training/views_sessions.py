"""Session pages for staff: the list, creating and editing a session, its page, and the changes
of its status (open, close, cancel, complete, reopen)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import COORDINATION_ROLES, district_scope, roles_required
from app.core.actions import perform
from app.core.timeutil import to_local, utcnow
from app.training import clashes, queries, rules, services
from app.training.blueprint import bp
from app.training.forms import ActionForm, EnrolForm, SessionForm
from app.training.models import EnrolmentState, SessionStatus, TrainingSession
from app.training.view_helpers import bulk_form, district_choices, session_data

SETTABLE = ("planned", "open", "closed", "cancelled")


def _back(session_id: int):
    return redirect(url_for("training.session_detail", session_id=session_id))


@bp.route("/")
@roles_required(*COORDINATION_ROLES)
def session_list():
    show = request.args.get("show", "current")
    sessions = queries.session_list(current_user, current_only=show == "current")
    return render_template(
        "training/sessions.html",
        sessions=sessions,
        counts={s.id: queries.seats(s.id) for s in sessions},
        show=show,
        courses=queries.all_courses(),
    )


def _warn_started(session: TrainingSession) -> None:
    started = rules.started_meetings(session, utcnow())
    if started:
        flash(
            _(
                "Check the dates: %(n)d meeting(s) of this session already started (%(when)s). "
                "Their attendance can be marked now.",
                n=len(started),
                when="; ".join(f"{to_local(m.starts_at):%Y-%m-%d %H:%M}" for m in started),
            ),
            "warning",
        )


@bp.route("/courses/<int:course_id>/sessions/new", methods=["GET", "POST"])
@roles_required(*COORDINATION_ROLES)
def session_create(course_id: int):
    course = queries.get_course(course_id)
    form = SessionForm()
    district_choices(form, current_user)
    if form.validate_on_submit():
        outcome = perform(
            services.create_session,
            course,
            session_data(form),
            district_scope(current_user),
            form=form,
            success=_("The session has been created."),
        )
        if outcome:
            _warn_started(outcome.value)
            return _back(outcome.value.id)
    return render_template("training/session_form.html", form=form, course=course, session=None)


def _session_form(session: TrainingSession) -> SessionForm:
    form = SessionForm(obj=session)
    district_choices(form, current_user)
    if request.method == "GET":
        form.district_id.data = session.district_id
        form.enrol_opens.data = to_local(session.enrol_opens).replace(tzinfo=None)
        form.enrol_closes.data = to_local(session.enrol_closes).replace(tzinfo=None)
        form.meetings.data = "\n".join(
            f"{to_local(m.starts_at):%Y-%m-%d %H:%M}-{to_local(m.ends_at):%H:%M}" for m in session.meetings
        )
    return form


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(*COORDINATION_ROLES)
def session_edit(session_id: int):
    session = queries.get_editable_session(current_user, session_id)
    form = _session_form(session)
    if form.validate_on_submit() and perform(
        services.update_session,
        session,
        session_data(form),
        district_scope(current_user),
        form=form,
        success=_("The session has been saved."),
    ):
        return _back(session.id)
    return render_template("training/session_form.html", form=form, course=session.course, session=session)


@bp.route("/sessions/<int:session_id>")
@roles_required(*COORDINATION_ROLES)
def session_detail(session_id: int):
    session = queries.get_session(current_user, session_id)
    now = utcnow()
    return render_template(
        "training/session.html",
        session=session,
        seats=queries.seats(session.id),
        enrolled=queries.roster(current_user, session.id),
        waitlist=queries.roster(current_user, session.id, EnrolmentState.waitlisted),
        venue_clashes=clashes.venue_clashes(session),
        worker_clashes=clashes.worker_clashes(current_user, session),
        codes=queries.checkin_codes(current_user, session),
        attendance_open={m.id: rules.attendance_open(m, now) for m in session.meetings},
        opens_at={m.id: rules.attendance_opens_at(m) for m in session.meetings},
        finished=rules.is_finished(session),
        can_complete=rules.can_complete(session, now),
        last_end=rules.last_meeting_end(session),
        enrol_form=EnrolForm(prefix="one"),
        bulk_form=bulk_form(current_user),
        action=ActionForm(),
        can_edit=queries.editable(current_user, session),
        now=now,
    )


def _action_on(session_id: int) -> TrainingSession:
    """A session the user manages, for a button's POST (its CSRF token checked)."""
    session = queries.get_editable_session(current_user, session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return session


@bp.route("/sessions/<int:session_id>/status/<status>", methods=["POST"])
@roles_required(*COORDINATION_ROLES)
def session_status(session_id: int, status: str):
    session = _action_on(session_id)
    if status not in SETTABLE:
        abort(400)
    perform(
        services.set_status,
        session,
        SessionStatus(status),
        success=lambda changed: _("The session is now: %(status)s.", status=changed.status.label),
    )
    return _back(session_id)


@bp.route("/sessions/<int:session_id>/complete", methods=["POST"])
@roles_required(*COORDINATION_ROLES)
def session_complete(session_id: int):
    session = _action_on(session_id)
    perform(
        services.complete_session,
        session,
        success=lambda result: _(
            "The session is completed: %(done)d completed the course, %(failed)d did not.",
            done=result[0],
            failed=result[1],
        ),
    )
    return _back(session_id)


@bp.route("/sessions/<int:session_id>/reopen", methods=["POST"])
@roles_required(*COORDINATION_ROLES)
def session_reopen(session_id: int):
    outcome = perform(services.reopen_session, _action_on(session_id))
    if outcome:
        flash(
            _(
                "The session is reopened: the credit hours of %(n)d worker(s) are withdrawn "
                "until it is completed again.",
                n=outcome.value,
            ),
            "warning",
        )
    return _back(session_id)
