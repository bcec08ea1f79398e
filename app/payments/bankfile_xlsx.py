"""The bank file as XLSX, byte-identical when made again from the same batch.

openpyxl stamps a workbook with the clock twice: the document properties (created, modified; its
save_workbook sets modified to now) and the ZIP entries' dates. Here both come from the batch (the
day it was made, at midnight): the workbook is written with openpyxl's ExcelWriter (which leaves
the properties as set), then its entries are copied, in the same order, into a ZIP whose entries
all carry that date. Account and ID numbers are text cells (a spreadsheet would round a 19-digit
number); amounts are numbers shown with two decimals.
"""

import io
from collections.abc import Iterable, Sequence
from copy import copy
from datetime import datetime, time
from decimal import Decimal
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.writer.excel import ExcelWriter

from app.core.exporting import safe_cell
from app.payments.models import PaymentBatch

NUMBER_KEYS = {"seq", "amount"}


def stamp_of(batch: PaymentBatch) -> datetime:
    return datetime.combine(batch.made_on, time())


def write_xlsx(rows: Iterable[Sequence], keys: Sequence[str], batch: PaymentBatch) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"{batch.month:%Y-%m}")
    money, text = _style(sheet, "0.00"), _style(sheet, "@")
    numeric = [key in NUMBER_KEYS for key in keys]
    for row in rows:
        sheet.append(
            [_cell(sheet, value, is_number, money, text) for is_number, value in zip(numeric, row, strict=True)]
        )
    return fixed_time_bytes(workbook, stamp_of(batch))


def _style(sheet, number_format: str):
    """A prototype cell's style array; cells copy it (setting a format per cell hashes a style each time)."""
    cell = WriteOnlyCell(sheet, value=None)
    cell.number_format = number_format
    return cell._style


def _cell(sheet, value, is_number: bool, money, text):
    if value is None:
        return None
    if is_number and not isinstance(value, str):  # a sequence number, or an amount shown with two decimals
        if not isinstance(value, Decimal):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell._style = copy(money)
        return cell
    cell = WriteOnlyCell(sheet, value=safe_cell(str(value)))  # headers, names, account and ID numbers
    cell._style = copy(text)
    return cell


def fixed_time_bytes(workbook: Workbook, stamp: datetime) -> bytes:
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    raw = io.BytesIO()
    ExcelWriter(workbook, ZipFile(raw, "w", ZIP_DEFLATED, allowZip64=True)).save()  # closes the archive
    out = io.BytesIO()
    with ZipFile(io.BytesIO(raw.getvalue())) as source, ZipFile(out, "w", ZIP_DEFLATED) as target:
        for entry in source.infolist():
            fixed = ZipInfo(entry.filename, date_time=stamp.timetuple()[:6])
            fixed.compress_type = ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, source.read(entry))
    return out.getvalue()
