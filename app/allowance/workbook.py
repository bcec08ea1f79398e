"""The allowance list as the finance office files it: an XLSX with a title, a frozen header with
filters, street subtotals, district totals and a grand total (bold, shaded, with head counts),
amounts with a thousands separator, signature lines, and a landscape print setup that fits the
width and repeats the header on every page.

Written in openpyxl's write-only mode (constant memory for 100,000 lines). Each kind of cell gets
its style once, as a prototype; the cells of the rows copy the prototype's style array instead of
setting fonts and formats one cell at a time (which hashes a style object per cell).
"""

from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.core.exporting import safe_cell, save_write_only

MONEY_FORMAT = "#,##0.00"
TITLE_ROWS = 2  # the title and the "made at, by" line; the header is the row after them
SHADE = PatternFill("solid", fgColor="E7E6E6")


@dataclass
class Layout:
    title: str
    subtitle: str
    headers: Sequence[str]
    widths: Sequence[float]
    money_columns: Sequence[int]  # 0-based
    text_columns: Sequence[int]  # codes and ID numbers: text, never numbers
    signatures: Sequence[str]  # e.g. "制表：＿＿＿＿", "审核：＿＿＿＿", "审批：＿＿＿＿"
    sheet_title: str


class _Styles:
    """One prototype cell per kind of cell; rows copy their style arrays."""

    def __init__(self, sheet):
        def proto(**attrs):
            cell = WriteOnlyCell(sheet, value=None)
            for key, value in attrs.items():
                setattr(cell, key, value)
            return cell._style

        bold = Font(bold=True)
        self.money = proto(number_format=MONEY_FORMAT)
        self.text = proto(number_format="@")
        self.total = proto(font=bold, fill=SHADE)
        self.total_money = proto(font=bold, fill=SHADE, number_format=MONEY_FORMAT)
        self.total_text = proto(font=bold, fill=SHADE, number_format="@")
        self.header = proto(font=bold, fill=SHADE, alignment=Alignment(wrap_text=True, vertical="center"))
        self.title = proto(font=Font(bold=True, size=14))
        self.plain = None


def _cell(sheet, value, style):
    cell = WriteOnlyCell(sheet, value=value)
    if style is not None:
        cell._style = copy(style)
    return cell


def write(layout: Layout, rows: Iterable[tuple[bool, Sequence]]) -> bytes:
    """`rows` yields (is_total, values); a total row is bold and shaded."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(layout.sheet_title[:31])
    width = len(layout.headers)
    header_row = TITLE_ROWS + 1
    # What the sheet's header XML holds must be set before the first row is written.
    for i, w in enumerate(layout.widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = w
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_options.horizontalCentered = True

    styles = _Styles(sheet)
    sheet.append([_cell(sheet, layout.title, styles.title)])
    sheet.append([layout.subtitle])
    sheet.append([_cell(sheet, h, styles.header) for h in layout.headers])

    money, text = set(layout.money_columns), set(layout.text_columns)
    plain_styles = [styles.money if i in money else styles.text if i in text else None for i in range(width)]
    total_styles = [
        styles.total_money if i in money else styles.total_text if i in text else styles.total for i in range(width)
    ]
    last = header_row
    for is_total, values in rows:
        chosen = total_styles if is_total else plain_styles
        out = []
        for i, value in enumerate(values):
            value = safe_cell(value)
            style = chosen[i]
            if value == "" and not is_total:
                out.append(None)
            elif style is None:
                out.append(value)
            else:
                out.append(_cell(sheet, value if value != "" else None, style))
        sheet.append(out)
        last += 1
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(width)}{last}"

    sheet.append([])
    signature_row = [None] * width
    step = max(1, width // len(layout.signatures)) if layout.signatures else 1
    for n, label in enumerate(layout.signatures):
        signature_row[min(n * step, width - 1)] = label
    sheet.append(signature_row)
    return save_write_only(workbook)
