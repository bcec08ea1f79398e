"""The admin's system page (issue #13): is the machinery running, and what went wrong lately."""

from flask import render_template

from app.core.access import Role, roles_required
from app.main import system_queries
from app.main.blueprint import bp


@bp.route("/admin/system")
@roles_required(Role.admin)
def system():
    return render_template("main/system.html", status=system_queries.system_status())
