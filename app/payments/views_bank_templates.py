"""Bank file templates: the list, and a page to add or change one by choosing and ordering the
catalogue's columns. Admins and city-wide payroll officers (see bank_template_services)."""

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import PAYROLL_ROLES, roles_required
from app.core.actions import perform
from app.payments import bank_template_services as services
from app.payments import queries
from app.payments.bank_template_forms import TemplateForm
from app.payments.bank_templates import COLUMNS, ENCODINGS, FORMATS, BankFileTemplate
from app.payments.blueprint import bp


@bp.route("/bank-templates")
@roles_required(*PAYROLL_ROLES)
def bank_template_list():
    services.check_may_manage(current_user)
    return render_template(
        "payments/bank_templates.html",
        templates=services.templates(),
        columns=COLUMNS,
        formats=FORMATS,
        encodings=ENCODINGS,
    )


@bp.route("/bank-templates/new", methods=["GET", "POST"])
@roles_required(*PAYROLL_ROLES)
def bank_template_create():
    services.check_may_manage(current_user)
    return _edit(None)


@bp.route("/bank-templates/<int:template_id>", methods=["GET", "POST"])
@roles_required(*PAYROLL_ROLES)
def bank_template_edit(template_id: int):
    services.check_may_manage(current_user)
    return _edit(services.template_of(template_id))


def _edit(template: BankFileTemplate | None):
    form = TemplateForm()
    form.bank.choices = [(0, _("Any bank")), *((b.id, b.name) for b in queries.banks())]
    if request.method == "GET":
        form.fill(template)
    elif form.validate_on_submit():
        saved = perform(
            services.save_template,
            template,
            form.spec(),
            form=form,
            success=lambda t: _("The bank file template %(name)s has been saved.", name=t.name),
        )
        if saved:
            return redirect(url_for("payments.bank_template_list"))
    return render_template("payments/bank_template_form.html", form=form, template=template)
