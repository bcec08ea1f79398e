"""The audit log in words: how a kind of record is named, its fields labelled, its values shown.

The log stores plain values (ids, ISO dates, enum values; see core/audit.py). Everything a person
reads is worked out when the log is read, in the reader's language. Each domain describes its
own audited models in one place, `app/<domain>/audit_text.py`, with a `Subject` per table; the
audit pages (app/audit) put them together.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.timeutil import to_local


class Values:
    """One record as the log knows it: its column values (plain, as stored), whether it still
    exists, and the records its reference columns point to (each a Values itself)."""

    def __init__(self, subject: "Subject | None", id: int | None, data: Mapping, exists: bool, refs=None):
        self.subject, self.id, self.data, self.exists = subject, id, data, exists
        self.refs: dict[str, Values] = refs or {}

    def get(self, key: str, default=None):
        value = self.data.get(key)
        return default if value is None else value

    def ref(self, column: str) -> "Values":
        return self.refs.get(column) or Values(None, self.data.get(column), {}, False)

    @property
    def label(self) -> str:
        if self.subject is None or not self.data:
            return f"#{self.id}" if self.id is not None else ""
        return self.subject.name(self) if self.subject.name else str(self.subject.noun)

    def page(self, endpoint: str, **args) -> str | None:
        """The URL of this record's page, or None when the record no longer exists."""
        return url_for(endpoint, **args) if self.exists else None

    def shown(self, column: str) -> str:
        return self.subject.show(column, self.data.get(column)) if self.subject else show_value(self.get(column))


@dataclass(frozen=True)
class Subject:
    noun: Any  # what kind of record, e.g. _l("Worker")
    name: Callable[[Values], str] | None = None  # the record's name in words
    fields: Mapping[str, Any] = field(default_factory=dict)  # column → label
    words: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)  # column → value in words
    refs: Mapping[str, str] = field(default_factory=dict)  # column → the table it points to
    link: Callable[[Values], str | None] | None = None  # the record's page
    search: tuple[str, ...] = ()  # columns that the log's free-text filter matches

    def label_of(self, column: str) -> str:
        label = self.fields.get(column) or COMMON_FIELDS.get(column)
        return str(label) if label else column

    def show(self, column: str, value) -> str:
        if value is None or value == "":
            return "—"
        if column in self.words:
            try:
                return str(self.words[column](value))
            except (KeyError, ValueError):  # a value from an older version of the enum
                return str(value)
        return show_value(value)


_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def show_value(value) -> str:
    """A stored value as a person reads it: instants in Beijing time, never JSON."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and _INSTANT.match(value):
        try:
            return f"{to_local(datetime.fromisoformat(value)):%Y-%m-%d %H:%M}"
        except ValueError:
            return value
    if isinstance(value, dict):
        return "；".join(f"{k}：{show_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(show_value(v) for v in value)
    return str(value)


def month_of(value) -> str:
    """'2026-06-01' → '2026-06'."""
    return str(value)[:7]


def choice(enum_cls) -> Callable[[Any], Any]:
    """An enum's value in words, through its `label`."""
    return lambda value: enum_cls(value).label


# Keys that entries written by hand (imports, exports, recomputations) put in their details.
COMMON_FIELDS = {
    "rows": _l("Rows"),
    "lines": _l("Number of lines"),
    "format": _l("File format"),
    "sha256": _l("SHA-256 of the file"),
    "bytes": _l("Size in bytes"),
    "month": _l("Month"),
    "hours_awarded": _l("Credit hours awarded"),
    "new": _l("New records"),
    "created": _l("New records"),
    "changed": _l("Changed records"),
    "updated": _l("Changed records"),
    "removed": _l("Removed records"),
    "unchanged": _l("Unchanged records"),
    "unchanged_rows": _l("Unchanged rows"),
    "queued": _l("Rows sent to the review queue"),
    "new_streets": _l("New streets"),
    "new_communities": _l("New communities"),
    "changed_communities": _l("Changed communities"),
    "new_workers": _l("New workers"),
    "changed_workers": _l("Changed workers"),
    "new_periods": _l("New post periods"),
    "changed_periods": _l("Changed post periods"),
}
