from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core import import_views
from app.core.access import Role, district_scope, roles_required
from app.core.actions import perform
from app.core.forms import int_arg, page_number
from app.core.templating import render_parts
from app.core.timeutil import local_today
from app.extensions import db
from app.places import queries as places
from app.places.forms import ConfirmImportForm, UploadForm
from app.workers import queries, services
from app.workers.blueprint import bp
from app.workers.education import EducationLevel
from app.workers.exporter import MIMETYPES, export_filename, export_workers
from app.workers.forms import DeleteForm, NewWorkerForm, PeriodForm, WorkerForm
from app.workers.importer import POSTS_COLUMNS
from app.workers.models import PostType
from app.workers.record import sections_for

STAFF = (Role.coordinator, Role.payroll, Role.admin)
EDITORS = (Role.coordinator, Role.admin)


def _filter_from_args() -> queries.WorkerFilter:
    post = request.args.get("post")
    status = request.args.get("status", "")
    education = request.args.get("education")
    return queries.WorkerFilter(
        q=(request.args.get("q") or "")[:64],
        district_id=int_arg("district"),
        street_id=int_arg("street"),
        community_id=int_arg("community"),
        post_type=PostType(post) if post in PostType._value2member_map_ else None,
        status=status if status in ("in_post", "left") else "",
        education=EducationLevel(education) if education in EducationLevel._value2member_map_ else None,
        sort=request.args.get("sort", "name"),
    )


@bp.route("/")
@roles_required(*STAFF)
def worker_list():
    f = _filter_from_args()
    today = local_today()
    page = queries.list_page(current_user, f, today, page_number(request.args.get("page")))
    districts, streets, communities = places.drill_down(current_user, f.district_id, f.street_id)
    return render_template(
        "workers/list.html",
        page=page,
        f=f,
        today=today,
        districts=districts,
        streets=streets,
        communities=communities,
        post_types=PostType,
        post_labels={post: str(post.label) for post in PostType},  # translated once, not on every row
        education_levels=EducationLevel,
        can_edit=current_user.role in EDITORS,
    )


def _community_choices():
    return [(c.id, f"{c.district.name} · {c.street.name} · {c.name}") for c in places.communities_for(current_user)]


def _post_data(form) -> services.PostData:
    return services.PostData(
        community_id=form.community_id.data,
        post_type=PostType(form.post_type.data),
        start_date=form.start_date.data,
        end_date=form.end_date.data,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def worker_create():
    form = NewWorkerForm()
    form.community_id.choices = _community_choices()
    if form.validate_on_submit():
        outcome = perform(
            services.create_worker,
            form.id_number.data,
            form.name.data,
            form.phone.data,
            _post_data(form),
            district_scope(current_user),
            form=form,
            success=lambda worker: _("%(name)s has been added to the registry.", name=worker.name),
        )
        if outcome:
            return redirect(url_for("workers.worker_detail", worker_id=outcome.value.id))
    return render_template("workers/new.html", form=form)


@bp.route("/<int:worker_id>")
@roles_required(*STAFF)
def worker_detail(worker_id: int):
    worker = queries.get_worker(current_user, worker_id)
    history = queries.record_history(worker) if current_user.role in EDITORS else []
    return _record_page(
        worker, history=history, can_edit=current_user.role in EDITORS, delete_form=DeleteForm(), mine=False
    )


@bp.route("/me")
@roles_required(Role.worker)
def my_record():
    if current_user.worker_id is None:
        return render_template("workers/no_record.html")
    worker = queries.get_worker(current_user, current_user.worker_id)
    return _record_page(worker, history=[], can_edit=False, delete_form=None, mine=True)


def _record_page(worker, **context):
    """The record with the sections other domains add to it (app/workers/record.py)."""
    today = local_today()
    common = {"worker": worker, "today": today, **context}
    sections = render_parts([(s.template, {**common, **s.context}) for s in sections_for(worker, today)])
    return render_template("workers/detail.html", sections=sections, **common)


@bp.route("/<int:worker_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def worker_edit(worker_id: int):
    worker = queries.get_worker(current_user, worker_id)
    form = WorkerForm(obj=worker)
    if form.validate_on_submit() and perform(
        services.update_worker,
        worker,
        form.id_number.data,
        form.name.data,
        form.phone.data,
        district_scope(current_user),
        form=form,
        success=_("The record has been saved."),
    ):
        return redirect(url_for("workers.worker_detail", worker_id=worker.id))
    return render_template("workers/edit.html", form=form, worker=worker)


@bp.route("/<int:worker_id>/periods/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def period_create(worker_id: int):
    worker = queries.get_worker(current_user, worker_id)
    form = PeriodForm()
    form.community_id.choices = _community_choices()
    if form.validate_on_submit() and perform(
        services.add_period,
        worker,
        _post_data(form),
        district_scope(current_user),
        form=form,
        success=_("The post period has been added."),
    ):
        return redirect(url_for("workers.worker_detail", worker_id=worker.id))
    return render_template("workers/period_form.html", form=form, worker=worker, period=None)


@bp.route("/<int:worker_id>/periods/<int:period_id>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def period_edit(worker_id: int, period_id: int):
    worker = queries.get_worker(current_user, worker_id)
    period = queries.get_period(worker, period_id)
    form = PeriodForm(obj=period)
    if request.method == "GET":
        form.post_type.data = period.post_type.value
    form.community_id.choices = _community_choices()
    if period.community_id not in {c for c, _label in form.community_id.choices}:
        form.community_id.choices.insert(0, (period.community_id, period.community.name))
    if form.validate_on_submit() and perform(
        services.update_period,
        period,
        _post_data(form),
        district_scope(current_user),
        form=form,
        success=_("The post period has been saved."),
    ):
        return redirect(url_for("workers.worker_detail", worker_id=worker.id))
    return render_template("workers/period_form.html", form=form, worker=worker, period=period)


@bp.route("/<int:worker_id>/periods/<int:period_id>/delete", methods=["POST"])
@roles_required(*EDITORS)
def period_delete(worker_id: int, period_id: int):
    worker = queries.get_worker(current_user, worker_id)
    period = queries.get_period(worker, period_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    perform(services.delete_period, period, success=_("The post period has been deleted."))
    return redirect(url_for("workers.worker_detail", worker_id=worker_id))


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*EDITORS)
def posts_import():
    return import_views.upload_and_preview(
        "posts",
        _("Import posts"),
        POSTS_COLUMNS,
        UploadForm,
        ConfirmImportForm,
        confirm_url=url_for("workers.posts_import_confirm"),
    )


@bp.route("/import/confirm", methods=["POST"])
@roles_required(*EDITORS)
def posts_import_confirm():
    return import_views.confirm_import("posts", ConfirmImportForm)


@bp.route("/export.<fmt>")
@roles_required(*STAFF)
def worker_export(fmt: str):
    if fmt not in MIMETYPES:
        abort(404)
    query = queries.filtered_workers(current_user, _filter_from_args(), local_today())
    lang = "en" if str(request.args.get("lang")) == "en" else "zh"
    content, _count = export_workers(query, fmt, lang)
    db.session.commit()  # the export's audit entry
    filename = export_filename(fmt, local_today())
    return Response(
        content, mimetype=MIMETYPES[fmt], headers={"Content-Disposition": f"attachment; filename={filename}"}
    )
