"""Reads of the audit log: the entries matching the list page's filters."""

import json
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.accounts.models import User
from app.audit.describe import ACTIONS, SUBJECTS
from app.core.audit import AuditLog
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


def _by_whom(who: str):
    people = sa.select(User.id).where(sa.or_(User.username == who, User.display_name.contains(who, autoescape=True)))
    return AuditLog.user_id.in_(people)


def entries(
    args: Mapping[str, str], entity_id: int | None = None, start: date | None = None, end: date | None = None
) -> sa.Select:
    """Newest first, narrowed by the filters given: action, entity (kind), entity_id, user (name
    or part of it), q (free text), and the days from `start` to `end` (Beijing time)."""
    conditions = []
    if args.get("action") in ACTIONS:
        conditions.append(AuditLog.action == args["action"])
    entity = (args.get("entity") or "").strip()
    if entity:
        conditions.append(AuditLog.entity_type == entity[:40])
    if entity_id is not None:
        conditions.append(AuditLog.entity_id == entity_id)
    who = (args.get("user") or "").strip()[:64]
    if who:
        conditions.append(_by_whom(who))
    q = (args.get("q") or "").strip()[:64]
    if q:
        conditions.append(_text_matches(q))
    if start:
        conditions.append(AuditLog.at >= datetime.combine(start, time(), LOCAL_TZ))
    if end:
        conditions.append(AuditLog.at < datetime.combine(end + timedelta(days=1), time(), LOCAL_TZ))
    return sa.select(AuditLog).where(*conditions).order_by(AuditLog.id.desc())


def kinds() -> list[str]:
    """The kinds of record the log has entries about."""
    return list(db.session.scalars(sa.select(AuditLog.entity_type).distinct()))
