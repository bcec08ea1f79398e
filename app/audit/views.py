"""Admins read the audit log; the log itself is written by app.core.audit."""

import json
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import render_template, request

from app.accounts.models import User
from app.audit.blueprint import bp
from app.audit.describe import ACTIONS, SUBJECTS, describe, noun
from app.core.access import Role, roles_required
from app.core.audit import AuditLog
from app.core.forms import date_arg, int_arg, page_number
from app.core.timeutil import LOCAL_TZ
from app.extensions import db


def _text_matches(q: str):
    """Free text: the entry's own words and values, or the current name of the record it is about."""
    escaped = json.dumps(q)[1:-1]  # JSON written by older versions keeps Chinese as \\u escapes
    found = [AuditLog.summary.contains(q, autoescape=True)]
    for column in (AuditLog.before, AuditLog.after):
        text = sa.cast(column, sa.Text)
        found += [text.contains(q, autoescape=True), text.contains(escaped, autoescape=True)]
    for kind, subject in SUBJECTS.items():
        table = db.metadata.tables.get(kind)
        if table is None or not subject.search:
            continue
        ids = sa.select(table.c.id).where(sa.or_(*(table.c[c].contains(q, autoescape=True) for c in subject.search)))
        found.append(sa.and_(AuditLog.entity_type == kind, AuditLog.entity_id.in_(ids)))
    return sa.or_(*found)


@bp.route("/")
@roles_required(Role.admin)
def audit_list():
    args = request.args
    query = sa.select(AuditLog).order_by(AuditLog.id.desc())
    action = args.get("action")
    if action in ACTIONS:
        query = query.where(AuditLog.action == action)
    entity = (args.get("entity") or "").strip()
    if entity:
        query = query.where(AuditLog.entity_type == entity[:40])
    entity_id = int_arg("entity_id")
    if entity_id is not None:
        query = query.where(AuditLog.entity_id == entity_id)
    who = (args.get("user") or "").strip()[:64]
    if who:
        people = sa.select(User.id).where(
            sa.or_(User.username == who, User.display_name.contains(who, autoescape=True))
        )
        query = query.where(AuditLog.user_id.in_(people))
    q = (args.get("q") or "").strip()[:64]
    if q:
        query = query.where(_text_matches(q))
    start, end = date_arg("from"), date_arg("to")
    if start:
        query = query.where(AuditLog.at >= datetime.combine(start, time(), LOCAL_TZ))
    if end:
        query = query.where(AuditLog.at < datetime.combine(end + timedelta(days=1), time(), LOCAL_TZ))
    page = db.paginate(query, page=page_number(args.get("page")), per_page=50, error_out=False)
    kinds = db.session.scalars(sa.select(AuditLog.entity_type).distinct()).all()
    return render_template(
        "audit/list.html",
        page=page,
        entries=describe(page.items),
        actions=ACTIONS,
        kinds=sorted(((k, noun(k)) for k in kinds), key=lambda pair: pair[1]),
        args=args,
    )
