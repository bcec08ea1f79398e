"""Course pages: a new course, and a course with its sessions (edited by those who may)."""

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import COORDINATION_ROLES, roles_required
from app.core.actions import perform
from app.exams.levels import Level
from app.training import queries, services
from app.training.blueprint import bp
from app.training.forms import CourseForm
from app.training.models import Course, Track


def _save_course(form: CourseForm, course: Course | None) -> Course:
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
@roles_required(*COORDINATION_ROLES)
def course_new():
    form = CourseForm()
    if form.validate_on_submit():
        outcome = perform(
            _save_course,
            form,
            None,
            form=form,
            success=_("The course has been saved. Add a session of it to schedule its meetings."),
        )
        if outcome:
            return redirect(url_for("training.course_detail", course_id=outcome.value.id))
    return render_template("training/course_form.html", form=form, courses=queries.all_courses())


def _course_form(course: Course) -> CourseForm:
    form = CourseForm(obj=course)
    if request.method == "GET":
        form.track.data = course.track.value
        form.target_level.data = course.target_level.value if course.target_level else ""
        form.threshold.data = course.completion_threshold * 100
    return form


@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
@roles_required(*COORDINATION_ROLES)
def course_detail(course_id: int):
    course = queries.get_course(course_id)
    can_edit = queries.course_editable(current_user, course)
    if request.method == "POST" and not can_edit:
        abort(403)
    form = _course_form(course) if can_edit else None
    saved = _("The course has been saved.")
    if form is not None and form.validate_on_submit() and perform(_save_course, form, course, form=form, success=saved):
        return redirect(url_for("training.course_detail", course_id=course.id))
    sessions = queries.course_sessions(current_user, course.id)
    return render_template(
        "training/course.html",
        course=course,
        form=form,
        sessions=sessions,
        counts={s.id: queries.seats(s.id) for s in sessions},
    )
