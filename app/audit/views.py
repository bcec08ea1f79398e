"""Admins read the audit log; the log itself is written by app.core.audit."""

from flask import render_template, request

from app.audit import queries
from app.audit.blueprint import bp
from app.audit.describe import ACTIONS, describe, noun
from app.core.access import Role, roles_required
from app.core.forms import date_arg, int_arg, page_number
from app.extensions import db


@bp.route("/")
@roles_required(Role.admin)
def audit_list():
    args = request.args
    query = queries.entries(args, int_arg("entity_id"), date_arg("from"), date_arg("to"))
    page = db.paginate(query, page=page_number(args.get("page")), per_page=50, error_out=False)
    return render_template(
        "audit/list.html",
        page=page,
        entries=describe(page.items),
        actions=ACTIONS,
        kinds=sorted(((k, noun(k)) for k in queries.kinds()), key=lambda pair: pair[1]),
        args=args,
    )
