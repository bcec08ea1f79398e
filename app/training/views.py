import io
from datetime import UTC, date, datetime, timedelta

import segno
import sqlalchemy as sa
from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.services import calendar_token, calendar_user
from app.core.access import Role, district_scope, roles_required
from app.core.exporting import write_xlsx
from app.core.forms import date_arg, show_service_error
from app.core.identity import InvalidIdentity, is_ascii_digits, parse_id_number
from app.core.services import ServiceError
from app.core.timeutil import LOCAL_TZ, local_today, to_local, utcnow
from app.exams.levels import Level
from app.extensions import db
from app.places.queries import communities_in, districts_for, streets_in
from app.training import queries, rules, services, throttle
from app.training.blueprint import bp
from app.training.forms import ActionForm, BulkEnrolForm, CheckinForm, CourseForm, EnrolForm, SessionForm
from app.training.models import Course, Enrolment, EnrolmentState, Mark, SessionStatus, Track, TrainingSession
from app.workers.models import POST_LABELS, PostType, Worker
from app.workers.queries import scoped_workers

STAFF = (Role.coordinator, Role.admin)


def _session(session_id: int, edit: bool = False):
    session = queries.get_session_or_404(current_user, session_id)
    if edit and not queries.editable(current_user, session):
        abort(403)
    return session


def _session_data(form) -> services.SessionData:
    return services.SessionData(
        name=form.name.data,
        venue=form.venue.data,
        capacity=form.capacity.data,
        district_id=form.district_id.data,
        enrol_opens=form.enrol_opens.data.replace(tzinfo=LOCAL_TZ),
        enrol_closes=form.enrol_closes.data.replace(tzinfo=LOCAL_TZ),
        meetings=form.parsed_meetings,
    )


def _district_choices(form) -> None:
    choices = [(str(d.id), d.name) for d in districts_for(current_user)]
    if district_scope(current_user) is None:
        choices.insert(0, ("", _("City-wide")))
    form.district_id.choices = choices


# ---- sessions ----


@bp.route("/")
@roles_required(*STAFF)
def session_list():
    show = request.args.get("show", "current")
    query = queries.scoped_sessions(current_user)
    if show == "current":
        query = query.where(TrainingSession.status.not_in(rules.FINISHED))
    sessions = db.session.scalars(query.order_by(TrainingSession.id.desc()).limit(300)).all()
    counts = {s.id: queries.seats(s.id) for s in sessions}
    return render_template(
        "training/sessions.html",
        sessions=sessions,
        counts=counts,
        show=show,
        courses=db.session.scalars(sa.select(Course).order_by(Course.title)).all(),
    )


def _save_course(form, course: Course | None) -> Course:
    return services.save_course(
        course,
        Track(form.track.data),
        Level(form.target_level.data) if form.target_level.data else None,
        form.title.data,
        form.description.data,
        form.credit_hours.data,
        form.threshold.data,
        created_by_id=current_user.id,
    )


@bp.route("/courses", methods=["GET", "POST"])
@roles_required(*STAFF)
def course_new():
    form = CourseForm()
    if form.validate_on_submit():
        try:
            course = _save_course(form, None)
        except ServiceError as exc:
            db.session.rollback()
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("The course has been saved. Add a session of it to schedule its meetings."), "success")
            return redirect(url_for("training.course_detail", course_id=course.id))
    courses = db.session.scalars(sa.select(Course).order_by(Course.title)).all()
    return render_template("training/course_form.html", form=form, courses=courses)


@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def course_detail(course_id: int):
    course = db.get_or_404(Course, course_id)
    can_edit = queries.course_editable(current_user, course)
    if request.method == "POST" and not can_edit:
        abort(403)
    form = CourseForm(obj=course) if can_edit else None
    if form is not None and request.method == "GET":
        form.track.data = course.track.value
        form.target_level.data = course.target_level.value if course.target_level else ""
        form.threshold.data = course.completion_threshold * 100
    if form is not None and form.validate_on_submit():
        try:
            _save_course(form, course)
        except ServiceError as exc:
            db.session.rollback()
            course = db.get_or_404(Course, course_id)
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("The course has been saved."), "success")
            return redirect(url_for("training.course_detail", course_id=course.id))
    sessions = queries.course_sessions(current_user, course.id)
    return render_template(
        "training/course.html",
        course=course,
        form=form,
        sessions=sessions,
        counts={s.id: queries.seats(s.id) for s in sessions},
    )


@bp.route("/courses/<int:course_id>/sessions/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def session_create(course_id: int):
    course = db.get_or_404(Course, course_id)
    form = SessionForm()
    _district_choices(form)
    if form.validate_on_submit():
        try:
            session = services.create_session(course, _session_data(form), district_scope(current_user))
        except ServiceError as exc:
            db.session.rollback()
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("The session has been created."), "success")
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
            return redirect(url_for("training.session_detail", session_id=session.id))
    return render_template("training/session_form.html", form=form, course=course, session=None)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def session_edit(session_id: int):
    session = _session(session_id, edit=True)
    form = SessionForm(obj=session)
    _district_choices(form)
    if request.method == "GET":
        form.district_id.data = session.district_id
        form.enrol_opens.data = to_local(session.enrol_opens).replace(tzinfo=None)
        form.enrol_closes.data = to_local(session.enrol_closes).replace(tzinfo=None)
        form.meetings.data = "\n".join(
            f"{to_local(m.starts_at):%Y-%m-%d %H:%M}-{to_local(m.ends_at):%H:%M}" for m in session.meetings
        )
    if form.validate_on_submit():
        try:
            services.update_session(session, _session_data(form), district_scope(current_user))
        except ServiceError as exc:
            db.session.rollback()
            session = _session(session_id, edit=True)
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("The session has been saved."), "success")
            return redirect(url_for("training.session_detail", session_id=session.id))
    return render_template("training/session_form.html", form=form, course=session.course, session=session)


@bp.route("/sessions/<int:session_id>")
@roles_required(*STAFF)
def session_detail(session_id: int):
    session = _session(session_id)
    now = utcnow()
    return render_template(
        "training/session.html",
        session=session,
        seats=queries.seats(session.id),
        enrolled=queries.roster(current_user, session.id),
        waitlist=queries.roster(current_user, session.id, EnrolmentState.waitlisted),
        venue_clashes=queries.venue_clashes(session),
        worker_clashes=queries.worker_clashes(current_user, session),
        codes=queries.checkin_codes(current_user, session),
        attendance_open={m.id: rules.attendance_open(m, now) for m in session.meetings},
        opens_at={m.id: rules.attendance_opens_at(m) for m in session.meetings},
        finished=rules.is_finished(session),
        can_complete=rules.can_complete(session, now),
        last_end=rules.last_meeting_end(session),
        enrol_form=EnrolForm(prefix="one"),
        bulk_form=_bulk_form(),
        action=ActionForm(),
        can_edit=queries.editable(current_user, session),
        now=now,
    )


@bp.route("/sessions/<int:session_id>/status/<status>", methods=["POST"])
@roles_required(*STAFF)
def session_status(session_id: int, status: str):
    session = _session(session_id, edit=True)
    if not ActionForm().validate_on_submit() or status not in ("planned", "open", "closed", "cancelled"):
        abort(400)
    try:
        services.set_status(session, SessionStatus(status))
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("The session is now: %(status)s.", status=session.status.label), "success")
    return redirect(url_for("training.session_detail", session_id=session_id))


@bp.route("/sessions/<int:session_id>/complete", methods=["POST"])
@roles_required(*STAFF)
def session_complete(session_id: int):
    session = _session(session_id, edit=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        done, failed = services.complete_session(session)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(
            _("The session is completed: %(done)d completed the course, %(failed)d did not.", done=done, failed=failed),
            "success",
        )
    return redirect(url_for("training.session_detail", session_id=session_id))


@bp.route("/sessions/<int:session_id>/reopen", methods=["POST"])
@roles_required(*STAFF)
def session_reopen(session_id: int):
    session = _session(session_id, edit=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        withdrawn = services.reopen_session(session)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(
            _(
                "The session is reopened: the credit hours of %(n)d worker(s) are withdrawn "
                "until it is completed again.",
                n=withdrawn,
            ),
            "warning",
        )
    return redirect(url_for("training.session_detail", session_id=session_id))


# ---- enrolment ----


@bp.route("/sessions/<int:session_id>/enrol", methods=["POST"])
@roles_required(*STAFF)
def session_enrol(session_id: int):
    session = _session(session_id, edit=True)
    form = EnrolForm(prefix="one")
    if not form.validate_on_submit():
        flash(_("Give the worker's ID number."), "danger")
        return redirect(url_for("training.session_detail", session_id=session_id))
    try:
        number = parse_id_number(form.id_number.data).number
    except InvalidIdentity as exc:
        flash(str(exc), "danger")
        return redirect(url_for("training.session_detail", session_id=session_id))
    worker = db.session.scalar(scoped_workers(current_user).where(Worker.id_number == number))
    if worker is None:
        flash(_("No worker with this ID number is in your scope."), "danger")
        return redirect(url_for("training.session_detail", session_id=session_id))
    try:
        enrolment = services.enrol(session, worker.id)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        if enrolment.state == EnrolmentState.enrolled:
            flash(_("%(name)s is enrolled.", name=worker.name), "success")
        else:
            flash(_("The session is full: %(name)s is on the waitlist.", name=worker.name), "warning")
    return redirect(url_for("training.session_detail", session_id=session_id))


def _bulk_form() -> BulkEnrolForm:
    """The filter, with pick lists limited to the user's districts and their streets and communities."""
    form = BulkEnrolForm(prefix="bulk")
    districts = districts_for(current_user)
    names = {d.id: d.name for d in districts}
    streets = streets_in(list(names))
    street_names = {s.id: f"{names[s.district_id]} · {s.name}" for s in streets}
    form.district.choices = [("", _("Any district"))] + [(str(d.id), d.name) for d in districts]
    form.street.choices = [("", _("Any street"))] + [(str(i), label) for i, label in street_names.items()]
    form.community.choices = [("", _("Any community"))] + [
        (str(c.id), f"{street_names[c.street_id]} · {c.name}") for c in communities_in(list(street_names))
    ]
    form.post.choices = [("", _("Any post"))] + [(p.value, label) for p, label in POST_LABELS.items()]
    return form


@bp.route("/sessions/<int:session_id>/enrol-bulk", methods=["POST"])
@roles_required(*STAFF)
def session_enrol_bulk(session_id: int):
    """First the count of workers who match (a preview), then, confirmed, their enrolment."""
    session = _session(session_id, edit=True)
    form = _bulk_form()
    if not form.validate_on_submit():
        flash(_("The filter is not valid."), "danger")
        return redirect(url_for("training.session_detail", session_id=session_id))
    worker_ids = queries.bulk_candidates(
        current_user,
        session,
        queries.BulkFilter(
            district_id=form.district.data,
            street_id=form.street.data,
            community_id=form.community.data,
            post=PostType(form.post.data) if form.post.data else None,
            not_qualified=bool(form.not_qualified.data),
        ),
    )
    if form.confirm.data != "1" or not worker_ids:
        seats = queries.seats(session.id)
        return render_template(
            "training/bulk_preview.html",
            session=session,
            form=form,
            matching=len(worker_ids),
            already=queries.already_on(session.id, worker_ids),
            free=max(0, session.capacity - seats.enrolled),
        )
    try:
        seated, waiting, already = services.bulk_enrol(session, worker_ids)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(
            _(
                "%(seated)d enrolled, %(waiting)d on the waitlist, %(already)d already on the list.",
                seated=seated,
                waiting=waiting,
                already=already,
            ),
            "success",
        )
    return redirect(url_for("training.session_detail", session_id=session_id))


@bp.route("/enrolments/<int:enrolment_id>/cancel", methods=["GET", "POST"])
@roles_required(Role.worker, *STAFF)
def enrolment_cancel(enrolment_id: int):
    """GET asks first (a page with a confirm button); POST removes."""
    enrolment = queries.get_enrolment_or_404(current_user, enrolment_id)
    by_worker = current_user.role == Role.worker
    if request.method == "GET":
        return render_template(
            "training/cancel_confirm.html", enrolment=enrolment, by_worker=by_worker, action=ActionForm()
        )
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.cancel_enrolment(enrolment, by_worker=by_worker)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("The enrolment has been cancelled."), "success")
    if by_worker:
        return redirect(url_for("training.my_training"))
    return redirect(url_for("training.session_detail", session_id=enrolment.session_id))


# ---- attendance ----


@bp.route("/sessions/<int:session_id>/meetings/<int:meeting_id>")
@roles_required(*STAFF)
def roster(session_id: int, meeting_id: int):
    meeting = queries.get_meeting_or_404(current_user, meeting_id, session_id)
    return render_template(
        "training/roster.html",
        session=meeting.session,
        meeting=meeting,
        enrolled=queries.roster(current_user, session_id),
        marks=queries.marks(current_user, [meeting.id]),
        is_open=rules.attendance_open(meeting, utcnow()),
        opens_at=rules.attendance_opens_at(meeting),
        finished=rules.is_finished(meeting.session),
        action=ActionForm(),
        Mark=Mark,
    )


@bp.route("/sessions/<int:session_id>/meetings/<int:meeting_id>/mark", methods=["POST"])
@roles_required(*STAFF)
def roster_mark(session_id: int, meeting_id: int):
    meeting = queries.get_meeting_or_404(current_user, meeting_id, session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    value, worker_id = request.form.get("mark"), request.form.get("worker_id", "")
    if value not in Mark._value2member_map_ or not is_ascii_digits(worker_id) or len(worker_id) > 9:
        abort(400)
    if queries.participant(current_user, session_id, int(worker_id)) is None:
        abort(404)
    try:
        services.mark(meeting, int(worker_id), Mark(value))
    except ServiceError as exc:
        db.session.rollback()
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error=exc.message), 422
        flash(exc.message, "danger")
    else:
        db.session.commit()
        if request.accept_mimetypes.best == "application/json":
            return jsonify(ok=True, mark=value)
    return redirect(url_for("training.roster", session_id=session_id, meeting_id=meeting_id) + f"#w{worker_id}")


@bp.route("/meetings/<int:meeting_id>/qr.svg")
@roles_required(*STAFF)
def meeting_qr(meeting_id: int):
    meeting = queries.get_meeting_or_404(current_user, meeting_id)
    url = url_for("training.checkin", code=meeting.checkin_code, _external=True)
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=6, border=2)
    return Response(buffer.getvalue(), mimetype="image/svg+xml")


# ---- exports ----


@bp.route("/sessions/<int:session_id>/sign-in-sheet")
@roles_required(*STAFF)
def signin_sheet(session_id: int):
    session = _session(session_id)
    return render_template(
        "training/signin_sheet.html",
        session=session,
        enrolled=queries.roster(current_user, session.id),
        seats=queries.seats(session.id),
    )


@bp.route("/sessions/<int:session_id>/roster.xlsx")
@roles_required(*STAFF)
def roster_xlsx(session_id: int):
    session = _session(session_id)
    enrolled = queries.roster(current_user, session.id)
    marks = queries.marks(current_user, [m.id for m in session.meetings])
    labels = {Mark.present: _("Present"), Mark.late: _("Late"), Mark.absent: _("Absent")}
    headers = (
        [_("No."), _("Name"), _("Community"), _("Mobile")]
        + [f"{to_local(m.starts_at):%m-%d %H:%M}" for m in session.meetings]
        + [_("Signature")]
    )
    rows = []
    for n, e in enumerate(enrolled, start=1):
        w = e.worker
        community = w.community.name if w.community else ""
        rows.append(
            [n, w.name, community, w.phone or ""]
            + [labels.get(marks.get((m.id, w.id)), "") for m in session.meetings]
            + [""]
        )
    content = write_xlsx(headers, rows, session.name, text_columns=(3,))
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename=roster-{session.id}.xlsx"},
    )


# ---- calendar ----


@bp.route("/calendar")
@roles_required(*STAFF)
def calendar():
    view = "week" if request.args.get("view") == "week" else "month"
    anchor = date_arg("date") or local_today()
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        days = [first + timedelta(days=i) for i in range(7)]
        prev, nxt = first - timedelta(days=7), first + timedelta(days=7)
    else:
        month_first = anchor.replace(day=1)
        first = month_first - timedelta(days=month_first.weekday())
        days = [first + timedelta(days=i) for i in range(42)]
        prev = (month_first - timedelta(days=1)).replace(day=1)
        nxt = (month_first + timedelta(days=32)).replace(day=1)
    start, end = queries.local_range(days[0], days[-1])
    by_day: dict[date, list] = {}
    for m in queries.meetings_between(current_user, start, end):
        by_day.setdefault(to_local(m.starts_at).date(), []).append(m)
    return render_template(
        "training/calendar.html",
        view=view,
        days=days,
        by_day=by_day,
        anchor=anchor,
        prev=prev,
        next=nxt,
        today=local_today(),
    )


# ---- the worker's side ----


@bp.route("/me")
@roles_required(Role.worker)
def my_training():
    if current_user.worker_id is None:
        return render_template("workers/no_record.html")
    mine = queries.my_training(current_user.worker_id)
    taken = {e.session_id for e in mine.upcoming + mine.history if e.state != EnrolmentState.cancelled}
    now = utcnow()
    open_sessions = [
        s
        for s in db.session.scalars(
            queries.scoped_sessions(current_user)
            .where(
                TrainingSession.status == SessionStatus.open,
                TrainingSession.enrol_opens <= now,
                TrainingSession.enrol_closes >= now,
            )
            .order_by(TrainingSession.enrol_closes)
        )
        if s.id not in taken
    ]
    token = calendar_token(current_user)
    return render_template(
        "training/mine.html",
        mine=mine,
        open_sessions=open_sessions,
        action=ActionForm(),
        checkin=CheckinForm(),
        ics_url=url_for("training.ics", token=token, _external=True),
        now=now,
    )


@bp.route("/sessions/<int:session_id>/self-enrol", methods=["POST"])
@roles_required(Role.worker)
def self_enrol(session_id: int):
    session = _session(session_id)
    if not ActionForm().validate_on_submit() or current_user.worker_id is None:
        abort(400)
    try:
        enrolment = services.enrol(session, current_user.worker_id, by_worker=True)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        if enrolment.state == EnrolmentState.enrolled:
            flash(_("You are enrolled."), "success")
        else:
            flash(
                _("The session is full: you are number %(n)d on the waitlist.", n=_waitlist_place(enrolment)), "warning"
            )
    return redirect(url_for("training.my_training"))


def _waitlist_place(enrolment: Enrolment) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Enrolment.session_id == enrolment.session_id,
            Enrolment.state == EnrolmentState.waitlisted,
            Enrolment.position <= enrolment.position,
        )
    )


@bp.route("/checkin", methods=["GET", "POST"])
@roles_required(Role.worker)
def checkin():
    form = CheckinForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"][:8]
    if form.validate_on_submit() and current_user.worker_id:
        worker_id = current_user.worker_id
        # wrong codes are counted for the worker and for each meeting they could check in to now
        meeting_ids = [m.id for m in services.checkin_meetings(worker_id, utcnow())]
        wait = throttle.minutes_to_wait(worker_id, meeting_ids)
        if wait:
            form.code.errors = [_("Too many wrong codes. Try again in %(n)d minute(s).", n=wait)]
            return render_template("training/checkin.html", form=form), 429
        try:
            attendance = services.self_checkin(worker_id, form.code.data)
        except ServiceError as exc:
            db.session.rollback()
            if isinstance(exc, services.WrongCode):
                throttle.count_wrong_code(worker_id, meeting_ids)
            show_service_error(form, exc)
        else:
            db.session.commit()
            if attendance.mark == Mark.late:
                flash(_("You are checked in (late)."), "warning")
            else:
                flash(_("You are checked in."), "success")
            return redirect(url_for("training.my_training"))
    return render_template("training/checkin.html", form=form)


@bp.route("/calendar/<token>.ics")
def ics(token: str):
    """A calendar feed of a worker's sessions for calendar apps (the URL is the credential; it
    changes with the password and when its owner resets it)."""
    user = calendar_user(token)
    if user is None or user.worker_id is None:
        abort(404)
    enrolments = db.session.scalars(
        sa.select(Enrolment).where(Enrolment.worker_id == user.worker_id, Enrolment.state == EnrolmentState.enrolled)
    ).all()
    stamp = f"{utcnow():%Y%m%dT%H%M%SZ}"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//socialwork talent plan//training//ZH", "CALSCALE:GREGORIAN"]
    for e in enrolments:
        if e.session.status == SessionStatus.cancelled:
            continue
        for m in e.session.meetings:
            lines += [
                "BEGIN:VEVENT",
                f"UID:meeting-{m.id}@socialwork",
                f"DTSTAMP:{stamp}",
                f"DTSTART:{_ics_time(m.starts_at)}",
                f"DTEND:{_ics_time(m.ends_at)}",
                f"SUMMARY:{_ics_text(e.session.course.title + ' · ' + e.session.name)}",
                f"LOCATION:{_ics_text(e.session.venue)}",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return Response("\r\n".join(lines) + "\r\n", mimetype="text/calendar; charset=utf-8")


def _ics_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _ics_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
