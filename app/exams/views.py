"""Exams pages: the overview, exam years, one worker's results, reviews, certificates, registrations
and CE, the file imports and the review queue. Each action loads, checks, and calls one service
through perform()."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core import import_views
from app.core.access import COORDINATION_ROLES, STAFF_ROLES, Role, roles_required
from app.core.actions import perform
from app.core.timeutil import local_today
from app.exams import importers, queries, queue, reports, services
from app.exams.blueprint import bp
from app.exams.forms import (
    ActionForm,
    CEForm,
    CertificateForm,
    ExamYearForm,
    MatchForm,
    RegistrationForm,
    ResultForm,
    ReviewForm,
)
from app.exams.levels import SUBJECTS, Level
from app.exams.models import ExamResult, ExamYear, Qualification
from app.extensions import db
from app.places.forms import ConfirmImportForm, UploadForm
from app.workers.models import Worker
from app.workers.queries import get_worker, scoped_workers

IMPORT_TITLES = {
    "results": lambda: _("Import exam results"),
    "reviews": lambda: _("Import senior reviews"),
    "qualifications": lambda: _("Import historical qualifications"),
    "registrations": lambda: _("Import registrations"),
    "ce": lambda: _("Import continuing-education records"),
}


@bp.route("/")
@roles_required(*STAFF_ROLES)
def overview():
    today = local_today()
    scope = scoped_workers(current_user)
    return render_template(
        "exams/overview.html",
        by_year=reports.pass_rates(scope, "year"),
        by_subject=reports.pass_rates(scope, "subject"),
        by_district=reports.pass_rates(scope, "district"),
        at_risk=reports.ce_at_risk(scope, today, limit=50),
        expiring=queries.expiring_rows(90, today, scope, limit=200),
        queue_count=queue.pending_count(current_user),
        subjects=SUBJECTS,
        today=today,
        can_edit=current_user.role in COORDINATION_ROLES,
    )


# ---- exam years (admin) ----


@bp.route("/years")
@roles_required(*STAFF_ROLES)
def year_list():
    return render_template("exams/years.html", years=queries.exam_years(), subjects=SUBJECTS)


@bp.route("/years/new", methods=["GET", "POST"])
@bp.route("/years/<int:year_id>", methods=["GET", "POST"])
@roles_required(Role.admin)
def year_edit(year_id: int | None = None):
    exam_year = db.get_or_404(ExamYear, year_id) if year_id else None
    form = ExamYearForm(obj=exam_year)
    if exam_year and request.method == "GET":
        for code in SUBJECTS:
            getattr(form, f"mark_{code}").data = exam_year.pass_mark(code)
    if form.validate_on_submit() and perform(
        services.save_exam_year,
        int(form.year.data),
        form.results_date.data,
        form.exam_date.data,
        form.registration_opens.data,
        form.registration_closes.data,
        {code: getattr(form, f"mark_{code}").data for code in SUBJECTS},
        exam_year,
        form=form,
        success=_("The exam year has been saved."),
    ):
        return redirect(url_for("exams.year_list"))
    return render_template("exams/year_form.html", form=form, exam_year=exam_year, subjects=SUBJECTS)


# ---- one worker's record ----


def _worker(worker_id: int) -> Worker:
    return get_worker(current_user, worker_id)


def _back(worker: Worker):
    return redirect(url_for("workers.worker_detail", worker_id=worker.id) + "#exams")


@bp.route("/workers/<int:worker_id>/results/new", methods=["GET", "POST"])
@roles_required(*COORDINATION_ROLES)
def result_create(worker_id: int):
    worker = _worker(worker_id)
    form = ResultForm()
    form.exam_year.choices = [(y.id, str(y.year)) for y in queries.exam_years()]
    if not form.exam_year.choices:
        flash(_("No exam year is set up yet; an administrator adds them under Exam years."), "warning")
        return _back(worker)
    if form.validate_on_submit() and perform(
        services.enter_result,
        worker.id,
        db.get_or_404(ExamYear, form.exam_year.data),
        form.subject.data,
        form.score.data,
        form=form,
        success=_("The result has been saved."),
    ):
        return _back(worker)
    return render_template("exams/simple_form.html", form=form, worker=worker, title=_("Enter an exam result"))


@bp.route("/results/<int:result_id>/delete", methods=["POST"])
@roles_required(*COORDINATION_ROLES)
def result_delete(result_id: int):
    result = db.get_or_404(ExamResult, result_id)
    worker = _worker(result.worker_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    perform(services.delete_result, result, success=_("The result has been deleted."))
    return _back(worker)


@bp.route("/workers/<int:worker_id>/reviews/new", methods=["GET", "POST"])
@roles_required(*COORDINATION_ROLES)
def review_create(worker_id: int):
    worker = _worker(worker_id)
    form = ReviewForm()
    if form.validate_on_submit() and perform(
        services.save_review,
        worker.id,
        form.review_date.data,
        form.result.data == "pass",
        form=form,
        success=_("The review has been saved."),
    ):
        return _back(worker)
    return render_template("exams/simple_form.html", form=form, worker=worker, title=_("Enter a senior review"))


@bp.route("/qualifications/<int:qualification_id>", methods=["GET", "POST"])
@roles_required(*COORDINATION_ROLES)
def certificate_edit(qualification_id: int):
    qualification = db.get_or_404(Qualification, qualification_id)
    worker = _worker(qualification.worker_id)
    form = CertificateForm(obj=qualification)
    if form.validate_on_submit() and perform(
        services.set_certificate_no,
        qualification,
        form.certificate_no.data,
        form=form,
        success=_("The certificate number has been saved."),
    ):
        return _back(worker)
    return render_template(
        "exams/simple_form.html",
        form=form,
        worker=worker,
        title=_("Certificate number: %(level)s", level=qualification.level.label),
    )


@bp.route("/workers/<int:worker_id>/registrations/new", methods=["GET", "POST"])
@roles_required(*COORDINATION_ROLES)
def registration_create(worker_id: int):
    worker = _worker(worker_id)
    form = RegistrationForm()
    if form.validate_on_submit() and perform(
        services.add_registration,
        worker.id,
        Level(form.level.data),
        form.registered_on.data,
        form.expires_on.data,
        form=form,
        success=_("The registration has been saved."),
    ):
        return _back(worker)
    return render_template("exams/simple_form.html", form=form, worker=worker, title=_("Record a registration"))


@bp.route("/workers/<int:worker_id>/ce/new", methods=["GET", "POST"])
@roles_required(*COORDINATION_ROLES)
def ce_create(worker_id: int):
    worker = _worker(worker_id)
    form = CEForm()
    if form.validate_on_submit() and perform(
        services.add_ce_record,
        worker.id,
        form.date.data,
        form.hours.data,
        form.description.data,
        form.proof.data,
        form=form,
        success=_("The CE record has been saved."),
    ):
        return _back(worker)
    return render_template("exams/simple_form.html", form=form, worker=worker, title=_("Record continuing education"))


# ---- imports ----


def _kind(kind: str) -> str:
    if kind not in importers.KINDS:
        abort(404)
    return f"exam_{kind}"


@bp.route("/import/<kind>", methods=["GET", "POST"])
@roles_required(*COORDINATION_ROLES)
def exam_import(kind: str):
    name = _kind(kind)
    return import_views.upload_and_preview(
        name,
        IMPORT_TITLES[kind](),
        importers.KINDS[kind].columns,
        UploadForm,
        ConfirmImportForm,
        confirm_url=url_for("exams.exam_import_confirm", kind=kind),
    )


@bp.route("/import/<kind>/confirm", methods=["POST"])
@roles_required(*COORDINATION_ROLES)
def exam_import_confirm(kind: str):
    return import_views.confirm_import(_kind(kind), ConfirmImportForm)


# ---- the review queue ----


@bp.route("/queue")
@roles_required(*COORDINATION_ROLES)
def review_queue():
    kind_labels = {
        "results": _("Exam result"),
        "reviews": _("Senior review"),
        "qualifications": _("Historical qualification"),
        "registrations": _("Registration"),
        "ce": _("CE record"),
    }
    return render_template(
        "exams/queue.html",
        items=queue.pending_items(current_user),
        match_form=MatchForm(),
        action_form=ActionForm(),
        count=queue.pending_count(current_user),
        kind_labels=kind_labels,
    )


@bp.route("/queue/<int:item_id>/match", methods=["POST"])
@roles_required(*COORDINATION_ROLES)
def queue_match(item_id: int):
    item = queue.get_item(current_user, item_id)
    form = MatchForm()
    if not form.validate_on_submit():
        abort(400)
    perform(
        queue.match_id_number,
        item,
        current_user,
        form.id_number.data,
        success=lambda worker: _("The row has been applied to %(name)s.", name=worker.name),
    )
    return redirect(url_for("exams.review_queue"))


@bp.route("/queue/<int:item_id>/discard", methods=["POST"])
@roles_required(*COORDINATION_ROLES)
def queue_discard(item_id: int):
    item = queue.get_item(current_user, item_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    perform(queue.discard, item, success=_("The row has been discarded."))
    return redirect(url_for("exams.review_queue"))
