"""Education on the workers blueprint: the file's import pages (upload → preview → confirm) and
adding, correcting and deleting a level on a worker's record (coordinators in scope, admins)."""

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core import import_views
from app.core.access import Role, roles_required
from app.core.actions import perform
from app.core.timeutil import local_today
from app.places.forms import ConfirmImportForm, UploadForm
from app.workers import education_records as records
from app.workers import queries
from app.workers.blueprint import bp
from app.workers.education import EducationLevel
from app.workers.education_import import EDUCATION_COLUMNS
from app.workers.forms import DeleteForm, EducationForm

EDITORS = (Role.coordinator, Role.admin)


@bp.route("/import/education", methods=["GET", "POST"])
@roles_required(*EDITORS)
def education_import():
    return import_views.upload_and_preview(
        "education",
        _("Import education"),
        EDUCATION_COLUMNS,
        UploadForm,
        ConfirmImportForm,
        confirm_url=url_for("workers.education_import_confirm"),
    )


@bp.route("/import/education/confirm", methods=["POST"])
@roles_required(*EDITORS)
def education_import_confirm():
    return import_views.confirm_import("education", ConfirmImportForm)


@bp.route("/<int:worker_id>/education/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def education_create(worker_id: int):
    worker = queries.get_worker(current_user, worker_id)
    form = EducationForm()
    if form.validate_on_submit() and perform(
        records.add_education,
        worker,
        EducationLevel(form.level.data),
        form.obtained_on.data,
        local_today(),
        form=form,
        success=_("The education record has been added."),
    ):
        return redirect(url_for("workers.worker_detail", worker_id=worker.id, _anchor="education"))
    return render_template("workers/education_form.html", form=form, worker=worker, entry=None)


@bp.route("/<int:worker_id>/education/<int:education_id>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def education_edit(worker_id: int, education_id: int):
    worker = queries.get_worker(current_user, worker_id)
    entry = records.get_education(worker, education_id)
    form = EducationForm(obj=entry)
    if request.method == "GET":
        form.level.data = entry.level.value
    if form.validate_on_submit() and perform(
        records.update_education,
        entry,
        EducationLevel(form.level.data),
        form.obtained_on.data,
        local_today(),
        form=form,
        success=_("The education record has been saved."),
    ):
        return redirect(url_for("workers.worker_detail", worker_id=worker.id, _anchor="education"))
    return render_template("workers/education_form.html", form=form, worker=worker, entry=entry)


@bp.route("/<int:worker_id>/education/<int:education_id>/delete", methods=["POST"])
@roles_required(*EDITORS)
def education_delete(worker_id: int, education_id: int):
    worker = queries.get_worker(current_user, worker_id)
    entry = records.get_education(worker, education_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    perform(records.delete_education, entry, success=_("The education record has been deleted."))
    return redirect(url_for("workers.worker_detail", worker_id=worker.id, _anchor="education"))
