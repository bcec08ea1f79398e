from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import STAFF_ROLES, Role, can_edit_workers, roles_required
from app.core.actions import perform
from app.core.forms import int_arg
from app.core.timeutil import local_today
from app.extensions import db
from app.reports import queries, services
from app.reports.blueprint import bp
from app.reports.exporter import export_term, file_name
from app.reports.forms import TermForm
from app.reports.models import Term

TERM_EDITORS = (Role.admin,)  # who sets up the terms (届)

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.route("/")
@roles_required(*STAFF_ROLES)
def index():
    terms = queries.terms()
    term = queries.chosen_term(terms, int_arg("term"))
    return render_template(
        "reports/index.html",
        terms=terms,
        term=term,
        report=queries.term_report(current_user, term) if term else None,
        today=local_today(),
        can_import=can_edit_workers(current_user),  # the education import is a workers' page
        can_edit_terms=current_user.role in TERM_EDITORS,
        print_view=request.args.get("print") == "1",
    )


@bp.route("/terms/<int:term_id>.<fmt>")
@roles_required(*STAFF_ROLES)
def term_export(term_id: int, fmt: str):
    if fmt not in MIMETYPES:
        abort(404)
    report = queries.term_report(current_user, db.get_or_404(Term, term_id))
    lang = "en" if request.args.get("lang") == "en" else "zh"
    return Response(
        export_term(report, fmt, lang),
        mimetype=MIMETYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename={file_name(report, fmt)}"},
    )


@bp.route("/terms", methods=["GET", "POST"])
@roles_required(*TERM_EDITORS)
def term_list():
    form = TermForm()
    if form.validate_on_submit():
        added = perform(
            services.add_term,
            form.name.data,
            form.elected_on.data,
            form=form,
            success=lambda term: _("The term %(name)s has been added.", name=term.name),
        )
        if added:
            return redirect(url_for("reports.term_list"))
    return render_template("reports/terms.html", form=form, terms=queries.terms())
