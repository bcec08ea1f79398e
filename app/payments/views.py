import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.allowance.rules import Month
from app.core import import_views
from app.core.access import PAYROLL_ROLES, STAFF_ROLES, Role, is_city_payroll_officer, roles_required
from app.core.actions import perform
from app.core.forms import page_number
from app.core.services import NotPermitted
from app.extensions import db
from app.payments import bank_template_services, queries, return_queries, services
from app.payments.bankfile import export_batch, file_name, mimetype
from app.payments.blueprint import bp
from app.payments.cards import mask_card_number
from app.payments.forms import AccountForm, MakeBatchForm
from app.payments.importer import ACCOUNT_COLUMNS
from app.payments.models import PaymentLine
from app.payments.returns import RETURN_COLUMNS, staged_name
from app.places.forms import ConfirmImportForm, UploadForm

ACCOUNT_EDITORS = STAFF_ROLES  # any staff member keeps the accounts of the workers in their districts


def _may_make_batches() -> None:
    """A city-wide payroll officer makes batches and downloads the bank file (a batch pays the whole city)."""
    if not is_city_payroll_officer(current_user):
        raise NotPermitted


def _make_form() -> MakeBatchForm:
    form = MakeBatchForm()
    form.month.choices = [(f"{m:%Y-%m}", f"{m:%Y-%m}") for m in queries.months_open_for_a_batch()]
    return form


@bp.route("/")
@roles_required(*PAYROLL_ROLES)
def batch_list():
    can_make = is_city_payroll_officer(current_user)
    return render_template(
        "payments/batches.html",
        batches=queries.batches(),
        form=_make_form() if can_make else None,
        can_make=can_make,
    )


@bp.route("/batches", methods=["POST"])
@roles_required(Role.payroll)
def make_batch():
    _may_make_batches()
    form = _make_form()
    if not form.validate_on_submit():
        flash(_("Choose a locked month that has no payment batch yet."), "danger")
        return redirect(url_for("payments.batch_list"))
    month = Month.parse(form.month.data)
    made = _("The payment batch of %(month)s has been made.", month=month)
    if not perform(services.make_batch, month, current_user, success=made):
        return redirect(url_for("payments.batch_list"))
    return redirect(url_for("payments.batch_detail", month=str(month)))


@bp.route("/batches/<month>")
@roles_required(*PAYROLL_ROLES)
def batch_detail(month: str):
    batch = queries.batch_of(month)
    lines = queries.scoped_lines(current_user, batch)
    page = db.paginate(
        lines.order_by(PaymentLine.id),
        page=page_number(request.args.get("page")),
        per_page=50,
        error_out=False,
        count=True,
    )
    return render_template(
        "payments/batch.html",
        batch=batch,
        totals=queries.totals(lines),
        cumulative=queries.cumulative(current_user, batch),
        exceptions=queries.exceptions(lines),
        results=return_queries.bank_results(lines),
        returned=return_queries.returns(lines),
        results_of=return_queries.results_of([line.id for line in page.items]),
        page=page,
        can_download=is_city_payroll_officer(current_user),
        bank_templates=bank_template_services.templates(),
        mask=mask_card_number,
    )


@bp.route("/batches/<month>/bank.csv")
@roles_required(Role.payroll)
def batch_export(month: str):
    _may_make_batches()
    batch = queries.batch_of(month)
    template = bank_template_services.chosen(request.args.get("template"))  # ?template=ID; none: the default
    content, _digest = export_batch(batch, template)
    db.session.commit()  # the audit entry of the export
    return send_file(
        io.BytesIO(content), mimetype=mimetype(template), as_attachment=True, download_name=file_name(batch, template)
    )


@bp.route("/batches/<month>/returns", methods=["GET", "POST"])
@roles_required(Role.payroll)
def return_import(month: str):
    """Upload the bank's return file of a batch → preview with every bad row → confirm."""
    _may_make_batches()
    batch = queries.batch_of(month)
    return import_views.upload_and_preview(
        "bank_return",
        _("Import the bank's return file of %(month)s", month=month),
        RETURN_COLUMNS,
        lambda: _MonthUpload(batch),
        ConfirmImportForm,
        confirm_url=url_for("payments.return_import_confirm", month=month),
    )


@bp.route("/batches/<month>/returns/confirm", methods=["POST"])
@roles_required(Role.payroll)
def return_import_confirm(month: str):
    _may_make_batches()
    queries.batch_of(month)
    return import_views.confirm_import("bank_return", ConfirmImportForm)


class _MonthUpload(UploadForm):
    """The upload form whose file is staged under a name that carries the batch's month, so the
    import job (which knows only the kind and the file) plans it for that batch."""

    def __init__(self, batch, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._batch = batch

    def validate_on_submit(self, extra_validators=None) -> bool:
        valid = super().validate_on_submit(extra_validators)
        if valid:
            self.file.data.filename = staged_name(self._batch, self.file.data.filename or "upload")
        return valid


@bp.route("/accounts")
@roles_required(*ACCOUNT_EDITORS)
def accounts():
    page = db.paginate(
        queries.scoped_accounts(current_user),
        page=page_number(request.args.get("page")),
        per_page=50,
        error_out=False,
        count=True,
    )
    return render_template("payments/accounts.html", page=page, mask=mask_card_number)


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_required(*ACCOUNT_EDITORS)
def account_create():
    form = AccountForm()
    form.bank.choices = [(b.id, b.name) for b in queries.banks()]
    if form.validate_on_submit():
        added = perform(
            services.add_account,
            current_user,
            form.id_number.data,
            form.bank.data,
            form.account_no.data,
            form.valid_from.data,
            form=form,
            success=lambda account: _(
                "The account %(number)s has been added.", number=mask_card_number(account.account_no)
            ),
        )
        if added:
            return redirect(url_for("payments.accounts"))
    return render_template("payments/account_new.html", form=form)


@bp.route("/import/accounts", methods=["GET", "POST"])
@roles_required(*ACCOUNT_EDITORS)
def account_import():
    return import_views.upload_and_preview(
        "bank_accounts",
        _("Import bank accounts"),
        ACCOUNT_COLUMNS,
        UploadForm,
        ConfirmImportForm,
        confirm_url=url_for("payments.account_import_confirm"),
    )


@bp.route("/import/accounts/confirm", methods=["POST"])
@roles_required(*ACCOUNT_EDITORS)
def account_import_confirm():
    return import_views.confirm_import("bank_accounts", ConfirmImportForm)


@bp.route("/mine")
@roles_required(Role.worker)
def mine():
    worker_id = current_user.worker_id
    return render_template(
        "payments/mine.html",
        accounts=queries.my_accounts(worker_id) if worker_id else [],
        payments=queries.my_payments(worker_id) if worker_id else [],
    )
