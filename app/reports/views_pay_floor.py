"""The director pay floor's pages on the reports blueprint: the monthly report with its files,
the districts' incomes (list, add, change) and the two imports (upload → preview → confirm)."""

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core import import_views
from app.core.access import STAFF_ROLES, roles_required
from app.core.actions import perform
from app.core.forms import int_arg
from app.core.timeutil import local_today
from app.extensions import db
from app.places.forms import ConfirmImportForm, UploadForm
from app.places.queries import districts_for
from app.reports import pay_floor_queries as queries
from app.reports import pay_floor_services as services
from app.reports.blueprint import bp
from app.reports.director_pay_import import PAY_COLUMNS
from app.reports.income_import import INCOME_COLUMNS
from app.reports.pay_floor import monthly_floor, parse_month
from app.reports.pay_floor_exporter import MIMETYPES, TABLES, export_table, file_name
from app.reports.pay_floor_forms import IncomeForm

PAY_FLOOR_ROLES = STAFF_ROLES  # each within their districts


@bp.route("/pay-floor")
@roles_required(*PAY_FLOOR_ROLES)
def pay_floor():
    month = queries.chosen_month(current_user, request.args.get("month"))
    return render_template(
        "reports/pay_floor.html",
        month=month,
        report=queries.pay_floor_report(current_user, month),
        today=local_today(),
        print_view=request.args.get("print") == "1",
    )


@bp.route("/pay-floor/<month>/<table>.<fmt>")
@roles_required(*PAY_FLOOR_ROLES)
def pay_floor_export(month: str, table: str, fmt: str):
    first = parse_month(month)
    if first is None or table not in TABLES or fmt not in MIMETYPES:
        abort(404)
    report = queries.pay_floor_report(current_user, first, with_trend=table == "trend")
    lang = "en" if request.args.get("lang") == "en" else "zh"
    content = export_table(report, table, fmt, lang)
    db.session.commit()  # the directors' file is logged (full ID numbers)
    return Response(
        content,
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename={file_name(report, table, fmt)}"},
    )


@bp.route("/income", methods=["GET", "POST"])
@roles_required(*PAY_FLOOR_ROLES)
def income_list():
    editing = queries.income_by_id(current_user, int_arg("edit")) if int_arg("edit") else None
    form = IncomeForm(obj=editing)
    form.district_id.choices = [(d.id, f"{d.name}（{d.code}）") for d in districts_for(current_user)]
    if form.validate_on_submit() and perform(
        services.save_income,
        current_user,
        form.district_id.data,
        form.year.data,
        form.income.data,
        form=form,
        success=lambda saved: _(
            "The income of %(district)s for %(year)d has been saved.", district=saved.district.name, year=saved.year
        ),
    ):
        return redirect(url_for("reports.income_list"))
    return render_template(
        "reports/income.html",
        form=form,
        editing=editing,
        incomes=queries.incomes_for(current_user),
        floor=monthly_floor,
    )


@bp.route("/income/import", methods=["GET", "POST"])
@roles_required(*PAY_FLOOR_ROLES)
def income_import():
    return import_views.upload_and_preview(
        "district_income",
        _("Import district income"),
        INCOME_COLUMNS,
        UploadForm,
        ConfirmImportForm,
        confirm_url=url_for("reports.income_import_confirm"),
    )


@bp.route("/income/import/confirm", methods=["POST"])
@roles_required(*PAY_FLOOR_ROLES)
def income_import_confirm():
    return import_views.confirm_import("district_income", ConfirmImportForm)


@bp.route("/director-pay/import", methods=["GET", "POST"])
@roles_required(*PAY_FLOOR_ROLES)
def director_pay_import():
    return import_views.upload_and_preview(
        "director_pay",
        _("Import director pay"),
        PAY_COLUMNS,
        UploadForm,
        ConfirmImportForm,
        confirm_url=url_for("reports.director_pay_import_confirm"),
    )


@bp.route("/director-pay/import/confirm", methods=["POST"])
@roles_required(*PAY_FLOOR_ROLES)
def director_pay_import_confirm():
    return import_views.confirm_import("director_pay", ConfirmImportForm)
