"""Writing the files people exchange: CSV (UTF-8 with BOM, as Excel in China opens it) and XLSX.

Text that a spreadsheet would run as a formula (= + - @ at the start) is neutralised with a
leading apostrophe; numbers stay numbers.
"""

import csv
import io
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from app.core.timeutil import utcnow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return safe_cell(value)


def write_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def save_write_only(workbook: Workbook) -> bytes:
    """A write-only workbook's bytes, every ZIP entry dated by the application's clock.

    openpyxl (3.1) writes a write-only sheet's rows to a temporary file and adds it to the ZIP by
    ZipFile.write, which dates the entry by the file's modification time (the system's, not the
    clock's); its other entries it adds by writestr, dated by the clock. Dating the sheets' files
    by the clock too makes a file made twice at the same instant the same bytes (a restore drill
    compares SHA-256s under a fixed clock: a second boundary between two exports changed them)."""
    stamp = utcnow().timestamp()
    for sheet in workbook.worksheets:
        sheet.close()
        out = getattr(getattr(sheet, "_writer", None), "out", None)
        if isinstance(out, str):
            os.utime(out, (stamp, stamp))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_xlsx(
    headers: Sequence[str], rows: Iterable[Sequence], sheet_title: str = "Sheet1", text_columns: Sequence[int] = ()
) -> bytes:
    """A streaming workbook (constant memory): dates as date cells, codes as text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(sheet, value=h)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    text_set = set(text_columns)
    for row in rows:
        out = []
        for i, value in enumerate(row):
            value = safe_cell(value)
            if isinstance(value, Decimal):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "0.00"
                out.append(cell)
            elif isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            elif i in text_set and value is not None:
                cell = WriteOnlyCell(sheet, value=str(value))
                cell.number_format = "@"
                out.append(cell)
            else:
                out.append(value)
        sheet.append(out)
    return save_write_only(workbook)
