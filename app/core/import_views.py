"""The import pages every kind of file shares: upload → preview → confirm → job status."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core import importing
from app.core.importing import ImportJob, JobState
from app.core.security import safe_redirect_target
from app.core.tabular import FileRejected
from app.core.tasks import queue_import
from app.extensions import db


def upload_and_preview(kind_name: str, title: str, columns, form_cls, confirm_cls, confirm_url: str):
    """GET shows the upload form; POST reads the file, checks every row and shows the preview,
    whose confirm button posts to confirm_url."""
    kind = importing.KINDS[kind_name]
    form, confirm, plan, token = form_cls(), None, None, None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        filename = upload.filename or "upload"
        try:
            plan = kind.plan(filename, data, current_user)
        except FileRejected as exc:
            form.file.errors.append(exc.message)
        else:
            db.session.rollback()  # planning never writes
            if plan.ok and plan.has_changes:
                token = importing.stage_upload(kind_name, filename, data, current_user.id)
                confirm = confirm_cls(token=token)
    return render_template(
        "imports/upload.html",
        title=title,
        columns=columns,
        form=form,
        plan=plan,
        confirm=confirm,
        confirm_url=confirm_url,
        kind=kind_name,
    )


def confirm_import(kind_name: str, confirm_cls):
    """Queue the job that applies a previewed file; the user watches its status page."""
    form = confirm_cls()
    if not form.validate_on_submit():
        abort(400)
    staged = importing.load_upload(form.token.data, kind_name, current_user.id)
    if staged is None:
        flash(_("The uploaded file is no longer available; please upload it again."), "danger")
        return redirect(safe_redirect_target(request.referrer, url_for("main.home")))
    job = ImportJob(kind=kind_name, filename=staged[0], user_id=current_user.id, token=form.token.data)
    db.session.add(job)
    db.session.commit()
    if not queue_import(job.id):
        flash(
            _("The job queue is unavailable: the work is recorded and starts by itself once the queue is back."),
            "warning",
        )
    return redirect(url_for("main.import_job", job_id=job.id))


def job_status(job_id: int):
    job = db.session.get(ImportJob, job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    kind = importing.KINDS.get(job.kind)
    running = job.state in (JobState.queued, JobState.running)
    return render_template(
        "imports/job.html",
        job=job,
        running=running,
        done_url=url_for(kind.done_endpoint) if kind else url_for("main.home"),
    )
