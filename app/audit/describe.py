"""The audit log as a person reads it: who, what in words, which fields changed from what to what.

Entries store plain values (see core/audit.py); the names of records are looked up when the log
is read: the record as it is now, or, once deleted, as the log last saw it. So old entries read
as well as new ones, and a renamed worker shows under their current name.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.audit_text import SUBJECTS as ACCOUNTS
from app.allowance.audit_text import SUBJECTS as ALLOWANCE
from app.core.audit import AuditAction, AuditLog, plain
from app.core.audit_text import Subject, Values
from app.core.timeutil import to_local
from app.exams.audit_text import SUBJECTS as EXAMS
from app.extensions import db
from app.payments.audit_text import SUBJECTS as PAYMENTS
from app.places.audit_text import SUBJECTS as PLACES
from app.reminders.audit_text import SUBJECTS as REMINDERS
from app.reports.audit_text import SUBJECTS as REPORTS
from app.training.audit_text import SUBJECTS as TRAINING
from app.workers.audit_text import SUBJECTS as WORKERS

# Every kind of record the log names, each described once, by its own domain.
SUBJECTS: dict[str, Subject] = {
    **PLACES,
    **WORKERS,
    **ACCOUNTS,
    **REMINDERS,
    **TRAINING,
    **EXAMS,
    **ALLOWANCE,
    **REPORTS,
    **PAYMENTS,
}

ACTIONS = {
    AuditAction.create.value: _l("Added"),
    AuditAction.update.value: _l("Changed"),
    AuditAction.delete.value: _l("Deleted"),
    AuditAction.export.value: _l("Exported"),
    AuditAction.import_.value: _l("Imported"),
    AuditAction.login.value: _l("Signed in"),
}


def noun(kind: str) -> str:
    subject = SUBJECTS.get(kind)
    return str(subject.noun) if subject else kind


@dataclass
class Change:
    label: str
    before: str | None  # None: the entry has no "before" for this field (a new record)
    after: str | None  # None: no "after" (a deleted record)


@dataclass
class Entry:
    at: datetime
    who: str
    who_url: str | None
    action: str
    kind: str
    record: str
    url: str | None
    changes: list[Change]
    note: str


def describe(entries: list[AuditLog]) -> list[Entry]:
    keys = {(e.entity_type, e.entity_id) for e in entries if e.entity_id is not None and e.entity_type in SUBJECTS}
    records = _records(keys)
    wanted = set()
    for (kind, _id), (data, _exists) in records.items():
        wanted |= _refs_in(kind, data)
    for e in entries:
        for snapshot in (e.before, e.after):
            wanted |= _refs_in(e.entity_type, snapshot or {})
    referenced = {**_records(wanted - records.keys()), **records}
    return [_entry(e, records, referenced) for e in entries]


def _refs_in(kind: str, data: dict) -> set:
    subject = SUBJECTS.get(kind)
    if subject is None:
        return set()
    return {
        (target, int(data[column]))
        for column, target in subject.refs.items()
        if isinstance(data.get(column), int) and target in SUBJECTS
    }


def _records(keys: set) -> dict:
    """(kind, id) → (values, still exists): the live row, else the last snapshot the log holds."""
    by_kind = defaultdict(set)
    for kind, id_ in keys:
        by_kind[kind].add(id_)
    found = {}
    for kind, ids in by_kind.items():
        table = db.metadata.tables.get(kind)
        subject = SUBJECTS[kind]
        if table is not None and "id" in table.c:
            # Only the columns the log may show: never a password hash or an excluded column.
            columns = [table.c.id, *(table.c[name] for name in subject.fields if name in table.c)]
            for row in db.session.execute(sa.select(*columns).where(table.c.id.in_(ids))):
                data = {k: plain(v) for k, v in row._mapping.items()}
                found[(kind, row.id)] = (data, True)
        missing = [i for i in ids if (kind, i) not in found]
        if missing:
            for log in db.session.scalars(
                sa.select(AuditLog)
                .where(
                    AuditLog.entity_type == kind,
                    AuditLog.entity_id.in_(missing),
                    AuditLog.action.in_([AuditAction.create.value, AuditAction.delete.value]),
                )
                .order_by(AuditLog.id)
            ):
                snapshot = log.before if log.action == AuditAction.delete.value else log.after
                found[(kind, log.entity_id)] = (snapshot or {}, False)  # the latest wins
    return found


def _values(kind: str, id_: int | None, data: dict, exists: bool, referenced: dict) -> Values:
    subject = SUBJECTS.get(kind)
    refs = {}
    if subject is not None:
        for column, target in subject.refs.items():
            ref_id = data.get(column)
            ref_data, ref_exists = referenced.get((target, ref_id), ({}, False))
            refs[column] = Values(SUBJECTS.get(target), ref_id, ref_data, ref_exists)
    return Values(subject, id_, data, exists, refs)


def _entry(e: AuditLog, records: dict, referenced: dict) -> Entry:
    subject = SUBJECTS.get(e.entity_type)
    data, exists = records.get((e.entity_type, e.entity_id), (None, False))
    if data is None and e.action in (AuditAction.create.value, AuditAction.delete.value):
        data = e.before or e.after or {}
    values = _values(e.entity_type, e.entity_id, data or {}, exists, referenced)
    record, url = noun(e.entity_type), None
    if subject is not None and data:
        record = values.label or record
        url = subject.link(values) if subject.link else None
    user = e.user
    return Entry(
        at=to_local(e.at),
        who=(user.display_name or user.username) if user else _("system"),
        who_url=url_for("accounts.user_edit", user_id=user.id) if user else None,
        action=str(ACTIONS.get(e.action, e.action)),
        kind=noun(e.entity_type),
        record=record,
        url=url,
        changes=_changes(e, subject, referenced),
        note=e.summary if e.action in (AuditAction.export.value, AuditAction.import_.value) else "",
    )


def _changes(e: AuditLog, subject: Subject | None, referenced: dict) -> list[Change]:
    before, after = e.before or {}, e.after or {}
    subject = subject or Subject(noun=e.entity_type)
    order = list(subject.fields)
    keys = sorted({*before, *after}, key=lambda k: (order.index(k) if k in order else len(order), k))

    def show(column, value):
        if value is not None and column in subject.refs and (subject.refs[column], value) in referenced:
            data, _exists = referenced[(subject.refs[column], value)]
            return _values(subject.refs[column], value, data, True, referenced).label
        return subject.show(column, value)

    changes = []
    for key in keys:
        label = subject.label_of(key)
        if key in before and key in after:
            if not _same(before[key], after[key]):
                changes.append(Change(label, show(key, before[key]), show(key, after[key])))
        elif key in after:
            if after[key] not in (None, ""):
                changes.append(Change(label, None, show(key, after[key])))
        elif before[key] not in (None, ""):
            changes.append(Change(label, show(key, before[key]), None))
    return changes


def _same(a, b) -> bool:
    if a == b:
        return True
    try:
        return Decimal(str(a)) == Decimal(str(b))  # "60" and "60.0" are one pass mark
    except (InvalidOperation, ValueError):
        return False
