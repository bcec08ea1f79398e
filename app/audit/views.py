"""Admins browse the audit log; the log itself is written by app.core.audit."""

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import render_template, request

from app.accounts.models import User
from app.audit import bp
from app.core.access import Role, roles_required
from app.core.audit import AuditAction, AuditLog
from app.core.forms import page_number
from app.core.timeutil import LOCAL_TZ
from app.extensions import db


def _day(raw: str | None):
    try:
        return datetime.fromisoformat(raw).date() if raw else None
    except ValueError:
        return None


@bp.route("/")
@roles_required(Role.admin)
def audit_list():
    args = request.args
    query = sa.select(AuditLog).order_by(AuditLog.id.desc())
    action = args.get("action")
    if action in {a.value for a in AuditAction}:
        query = query.where(AuditLog.action == action)
    entity = (args.get("entity") or "").strip()
    if entity:
        query = query.where(AuditLog.entity_type == entity[:40])
    entity_id = args.get("entity_id", "")
    if entity_id.isdigit():
        query = query.where(AuditLog.entity_id == int(entity_id))
    username = (args.get("user") or "").strip()
    if username:
        query = query.join(User, User.id == AuditLog.user_id).where(User.username == username[:64])
    start, end = _day(args.get("from")), _day(args.get("to"))
    if start:
        query = query.where(AuditLog.at >= datetime.combine(start, time(), LOCAL_TZ))
    if end:
        query = query.where(AuditLog.at < datetime.combine(end + timedelta(days=1), time(), LOCAL_TZ))
    page = db.paginate(query, page=page_number(args.get("page")), per_page=50, error_out=False)
    entities = db.session.scalars(sa.select(AuditLog.entity_type).distinct().order_by(AuditLog.entity_type)).all()
    return render_template("audit/list.html", page=page, actions=AuditAction, entities=entities, args=args)
