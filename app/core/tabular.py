"""Reading the files people exchange: .xlsx and .csv (UTF-8 with or without BOM, GB18030/GBK),
with English or Chinese headers. Every bad row is reported by row number, column and reason.

Row numbers are the ones a person sees in Excel: the header is row 1, data starts at row 2.

What a file may unpack to is bounded before and while it is parsed (a small .xlsx can unpack to
hundreds of megabytes): the members' declared sizes (zipfile never inflates past them), the data
rows (IMPORT_MAX_ROWS) and each cell's length (an over-long cell is a row error, not a crash).
"""

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from openpyxl import load_workbook

MAX_CELL_CHARS = 10_000  # no column of any import needs more; Excel itself stops at 32,767
# A sheet of real rows deflates 5-20 times; a bomb of repeated rows, hundreds of times. A member
# of over 1 MB that unpacks to more than MAX_RATIO times its packed size is refused unread.
MAX_RATIO = 100
# The csv module's own limit (128 KiB a field) raised an error that ended in a 500; a field of
# any length is read now, and MAX_CELL_CHARS decides. Set once, for the whole process.
csv.field_size_limit(max(csv.field_size_limit(), 256 * 1024 * 1024))


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    required: bool = True


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("Row %(row)d, column %(column)s: %(message)s", row=self.row, column=self.column, message=self.message)


class FileRejected(Exception):
    """The file as a whole cannot be read (wrong type, no header, no rows...)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    columns: list[Column]
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)

    def label(self, key: str) -> str:
        """How a column is named in messages: its Chinese name and its English key."""
        for c in self.columns:
            if c.key == key:
                return f"{c.zh} ({c.key})"
        return key


@dataclass(frozen=True)
class OverlongCell:
    """Stands for a cell longer than MAX_CELL_CHARS; every converter reports it as a row error."""

    length: int


XLSX_MAGIC = b"PK\x03\x04"


def _limits() -> tuple[int, int]:
    """(rows, unpacked bytes) a file may hold: the settings IMPORT_MAX_ROWS, IMPORT_MAX_UNPACKED_MB
    (200,000 rows of ten columns unpack to about 100 MB of sheet XML)."""
    config = current_app.config
    return config["IMPORT_MAX_ROWS"], config["IMPORT_MAX_UNPACKED_MB"] * 1024 * 1024


def read_table(filename: str, data: bytes, columns: list[Column]) -> Table:
    """Read a whole file into rows of {column key: raw value}. Raises FileRejected."""
    if not data or not data.strip():
        raise FileRejected(_("The file is empty."))
    name = (filename or "").lower()
    max_rows, max_unpacked = _limits()
    if data.startswith(XLSX_MAGIC) or name.endswith(".xlsx"):
        raw_rows = _xlsx_rows(data, max_rows, max_unpacked)
    elif name.endswith(".csv") or name.endswith(".txt") or not name:
        raw_rows = _csv_rows(data)
    else:
        raise FileRejected(_("Only .xlsx and .csv files can be imported."))

    header = next(raw_rows, None)
    while header is not None and _blank(header):
        header = next(raw_rows, None)
    if header is None:
        raise FileRejected(_("The file is empty."))
    index = _map_header(header, columns)
    table = Table(columns=columns)
    for number, raw in enumerate(raw_rows, start=2):
        if number > max_rows + 1:  # blank rows count too: a million blank lines is a bomb as well
            raise FileRejected(_too_many_rows(max_rows))
        if _blank(raw):
            continue  # blank lines, often at the end of an Excel sheet
        table.rows.append((number, {key: _bounded(raw[i]) if i < len(raw) else None for key, i in index.items()}))
    if not table.rows:
        raise FileRejected(_("The file has a header but no data rows."))
    return table


def _blank(raw: list) -> bool:
    return not any(_cell_text(v) for v in raw)


def _cell_text(value) -> str:
    """A cell's text for the blank-row and header checks (an over-long cell is cut, never refused)."""
    return _text(value[:MAX_CELL_CHARS] if isinstance(value, str) else value)


def _bounded(value):
    """The cell as read, or an OverlongCell when it is too long for any column."""
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        return OverlongCell(len(value))
    return value


def _too_many_rows(max_rows: int) -> str:
    return _("The file has more than %(n)s rows; split it into smaller files.", n=f"{max_rows:,}")


def _map_header(header: list, columns: list[Column]) -> dict[str, int]:
    names = {}
    for c in columns:
        names[c.key.lower()] = c.key
        names[c.zh] = c.key
    index: dict[str, int] = {}
    for i, cell in enumerate(header):
        label = _cell_text(cell).strip().lstrip("\ufeff")
        key = names.get(label) or names.get(label.lower())
        if key and key not in index:
            index[key] = i
    missing = [f"{c.zh} ({c.key})" for c in columns if c.required and c.key not in index]
    if missing:
        raise FileRejected(
            _(
                "Row 1 (the header) lacks the columns: %(columns)s. Expected: %(expected)s.",
                columns=", ".join(missing),
                expected=", ".join(f"{c.zh}/{c.key}" for c in columns),
            )
        )
    return index


def _csv_rows(data: bytes) -> Iterator[list]:
    text = _decode(data)
    if "\x00" in text:
        raise FileRejected(_("The file is not a text CSV file."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return _csv_records(io.StringIO(text, newline=""), dialect)


def _csv_records(stream, dialect) -> Iterator[list]:
    try:
        yield from csv.reader(stream, dialect)
    except csv.Error as exc:
        raise FileRejected(_("The file is not a text CSV file.")) from exc


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                return data.decode("gb18030")
            except UnicodeDecodeError:
                pass
    raise FileRejected(_("The file's text is neither UTF-8 nor GB18030/GBK. Save it from Excel as CSV or XLSX."))


def _xlsx_rows(data: bytes, max_rows: int, max_unpacked: int) -> Iterator[list]:
    _check_unpacked_size(data, max_unpacked)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # The sheet's dimension refuses a huge sheet before a row is parsed; read_table also
        # counts the rows as they come, because a dimension can lie.
        if (sheet.max_row or 0) > max_rows + 1:
            raise FileRejected(_too_many_rows(max_rows))
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    except FileRejected:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, OSError, EOFError) as exc:
        raise FileRejected(_("The file is not a readable .xlsx workbook.")) from exc
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise FileRejected(_("The file is not a readable .xlsx workbook.")) from exc


def _check_unpacked_size(data: bytes, max_unpacked: int) -> None:
    """Refuse a workbook whose members would unpack past the bound, or that is packed like a bomb,
    before anything is inflated (the sizes are the zip's own; zipfile never inflates past them)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            unpacked = sum(member.file_size for member in members)
            squeezed = any(m.file_size > 1024 * 1024 and m.file_size > MAX_RATIO * m.compress_size for m in members)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise FileRejected(_("The file is not a readable .xlsx workbook.")) from exc
    if unpacked > max_unpacked:
        raise FileRejected(
            _(
                "The workbook unpacks to more than %(mb)d MB; split it into smaller files.",
                mb=max_unpacked // (1024 * 1024),
            )
        )
    if squeezed:
        raise FileRejected(
            _(
                "The workbook is packed far tighter than a spreadsheet is (more than %(n)d to 1): "
                "it looks like a decompression bomb and was not opened.",
                n=MAX_RATIO,
            )
        )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, OverlongCell):
        raise ValueError(_("has %(n)s characters; a cell holds at most %(max)s", n=value.length, max=MAX_CELL_CHARS))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# ---- cell converters: each returns a value or raises ValueError with a translated message ----


def text(value, max_length: int = 200, required: bool = True) -> str | None:
    result = _text(value)
    if not result:
        if required:
            raise ValueError(_("is required"))
        return None
    if len(result) > max_length:
        raise ValueError(_("is longer than %(n)d characters", n=max_length))
    return result


def code_text(value) -> str:
    """A code or an ID number; Excel may hand it over as a number."""
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 2**53:
            raise ValueError(_("was stored by Excel as a number and lost digits; format the column as text"))
        return str(int(value))
    return _text(value)


def parse_date(value, required: bool = True) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = _text(value)
    if not raw:
        if required:
            raise ValueError(_("is required"))
        return None
    try:
        return date.fromisoformat(raw.replace("/", "-")) if len(raw) == 10 else _bad_date(raw)
    except ValueError:
        return _bad_date(raw)


def _bad_date(raw: str):
    raise ValueError(_("“%(value)s” is not a date in the form YYYY-MM-DD", value=raw[:40]))


def parse_decimal(value) -> Decimal:
    raw = _text(value)
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a number", value=raw[:40])) from None
    if not number.is_finite():
        raise ValueError(_("“%(value)s” is not a number", value=raw[:40]))
    return number


def choice(value, aliases: dict, label_list: Callable[[], str]):
    raw = _text(value)
    found = aliases.get(raw) or aliases.get(raw.lower())
    if found is None:
        raise ValueError(_("“%(value)s” is not one of: %(choices)s", value=raw[:40], choices=label_list()))
    return found
