"""Statements (工资条): the worker's own per month, staff's for the workers of their districts, and a
district's statements of a batch as one PDF (a page per worker) for payroll to print."""

import io

from flask import redirect, render_template, request, send_file, url_for
from flask_login import current_user

from app.core.access import PAYROLL_ROLES, STAFF_ROLES, Role, roles_required
from app.core.actions import perform
from app.core.forms import int_arg, page_number
from app.extensions import db
from app.payments import queries, statement_pdf, statements
from app.payments.blueprint import bp


def _pdf(content: bytes, name: str):
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=name)


@bp.route("/mine/<month>")
@roles_required(Role.worker)
def my_statement(month: str):
    statement = statements.statement_for(current_user, queries.batch_of(month), current_user.worker_id)
    return render_template(
        "payments/statement.html",
        s=statement,
        pdf_url=url_for("payments.my_statement_pdf", month=month),
        back_url=url_for("payments.mine"),
    )


@bp.route("/mine/<month>/statement.pdf")
@roles_required(Role.worker)
def my_statement_pdf(month: str):
    statement = statements.statement_for(current_user, queries.batch_of(month), current_user.worker_id)
    made = perform(statement_pdf.render, [statement])
    if not made:
        return redirect(url_for("payments.my_statement", month=month))
    return _pdf(made.value, statement_pdf.file_name(month, "mine"))


@bp.route("/batches/<month>/statements/<int:worker_id>")
@roles_required(*STAFF_ROLES)
def worker_statement(month: str, worker_id: int):
    statement = statements.statement_for(current_user, queries.batch_of(month), worker_id)
    return render_template(
        "payments/statement.html",
        s=statement,
        pdf_url=url_for("payments.worker_statement_pdf", month=month, worker_id=worker_id),
        back_url=(
            url_for("payments.statement_index", month=month, district=statement.district_id)
            if current_user.role in PAYROLL_ROLES
            else url_for("workers.worker_detail", worker_id=worker_id)
        ),
    )


@bp.route("/batches/<month>/statements/<int:worker_id>/statement.pdf")
@roles_required(*STAFF_ROLES)
def worker_statement_pdf(month: str, worker_id: int):
    statement = statements.statement_for(current_user, queries.batch_of(month), worker_id)
    made = perform(statement_pdf.render, [statement])
    if not made:
        return redirect(url_for("payments.worker_statement", month=month, worker_id=worker_id))
    return _pdf(made.value, statement_pdf.file_name(month, str(worker_id)))


@bp.route("/batches/<month>/statements")
@roles_required(*PAYROLL_ROLES)
def statement_index(month: str):
    batch = queries.batch_of(month)
    district_id = int_arg("district")
    page = None
    if district_id is not None:
        statements.district_in_scope(current_user, district_id)
        page = db.paginate(
            statements.district_lines(batch, district_id),
            page=page_number(request.args.get("page")),
            per_page=50,
            error_out=False,
            count=True,
        )
    return render_template(
        "payments/statements.html",
        batch=batch,
        month=month,
        districts=statements.districts_of(current_user, batch),
        district_id=district_id,
        page=page,
    )


@bp.route("/batches/<month>/districts/<int:district_id>/statements.pdf")
@roles_required(*PAYROLL_ROLES)
def district_statements_pdf(month: str, district_id: int):
    batch = queries.batch_of(month)
    made = perform(statement_pdf.render, statements.district_statements(current_user, batch, district_id))
    if not made:
        return redirect(url_for("payments.statement_index", month=month))
    district = statements.district_in_scope(current_user, district_id)
    return _pdf(made.value, statement_pdf.file_name(month, district.code))
