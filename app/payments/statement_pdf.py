"""Statements as PDF, one A4 page per worker, with fpdf2 and a CJK font it embeds (a subset: only the
glyphs the document uses, so a 3,000-page district file stays a few MB).

The font is `PDF_FONT_PATH` (app config, else the environment) when set, else the first of
FONT_CANDIDATES found on the machine (Debian: `apt-get install fonts-noto-cjk`). A .ttc
collection's Simplified Chinese face is chosen by its name (Noto Sans CJK SC); a missing font is a
clear error, never a page of empty boxes.
"""

import logging
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from fontTools.ttLib import TTCollection
from fpdf import FPDF

from app.core.services import ServiceError
from app.core.timeutil import local_today
from app.payments.statements import PayState, Statement, StatementLine

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora: google-noto-sans-cjk-ttc-fonts
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch: noto-fonts-cjk
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian: fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian: fonts-wqy-zenhei
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # Debian: fonts-droid-fallback
)
FONT = "cjk"
# fontTools logs each step of subsetting the font at INFO: one PDF would fill the app's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)
WIDTHS = (34, 40, 76, 30)  # item, level, formula, amount (mm; 180 in all)
LINE_HEIGHT = 6.5
WRAPPED_HEIGHT = 5  # each line of a formula that wraps


def font_path() -> Path:
    configured = current_app.config.get("PDF_FONT_PATH") or os.environ.get("PDF_FONT_PATH")
    candidates = (configured,) if configured else FONT_CANDIDATES
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise ServiceError(
        _(
            "No Chinese font for the PDF: set PDF_FONT_PATH to a CJK font file (.ttf, .otf or .ttc), "
            "e.g. install the fonts-noto-cjk package."
        )
    )


@lru_cache(maxsize=8)
def collection_index(path: Path) -> int:
    """The face of a .ttc to use: Simplified Chinese (its name says SC, or GB), else the first."""
    if path.suffix.lower() != ".ttc":
        return 0
    collection = TTCollection(str(path), lazy=True)
    for index, face in enumerate(collection.fonts):
        name = face["name"].getDebugName(4) or ""
        if name.endswith((" SC", " GB")) and "Mono" not in name:
            return index
    return 0


class StatementPDF(FPDF):
    def __init__(self, font: Path):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=15)
        self.add_font(FONT, fname=str(font), collection_font_number=collection_index(font))
        self.set_title(_("Professional allowance statement"))
        self.set_creator("socialwork")
        self.words = {
            "title": _("Professional allowance statement"),
            "made": _("Made on %(day)s", day=local_today().isoformat()),
        }

    def statement(self, s: Statement) -> None:
        self.add_page()
        self.set_font(FONT, size=16)
        self.cell(0, 10, self.words["title"], align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=11)
        self.cell(0, 7, _("Month: %(month)s", month=s.month_text), align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)
        self._pairs(
            [
                (_("Name"), s.name, _("ID number"), s.masked_id),
                (_("District"), s.district, _("Community"), s.community),
                (_("Account"), s.account or "—", "", ""),
            ]
        )
        self.ln(3)
        self._lines(s.lines)
        self.ln(3)
        self._summary(s)
        self.ln(4)
        self.set_font(FONT, size=8)
        self.cell(0, 5, self.words["made"], new_x="LMARGIN", new_y="NEXT")

    def _pairs(self, rows) -> None:
        self.set_font(FONT, size=10)
        for label_a, value_a, label_b, value_b in rows:
            self.cell(22, LINE_HEIGHT, label_a, border=1)
            if not label_b:
                self.cell(158, LINE_HEIGHT, value_a, border=1, new_x="LMARGIN", new_y="NEXT")
                continue
            self.cell(68, LINE_HEIGHT, value_a, border=1)
            self.cell(22, LINE_HEIGHT, label_b, border=1)
            self.cell(68, LINE_HEIGHT, value_b, border=1, new_x="LMARGIN", new_y="NEXT")

    def _lines(self, lines: list[StatementLine]) -> None:
        self.set_font(FONT, size=10)
        heads = (_("Item"), _("Level"), _("Formula"), _("Amount"))
        for width, head in zip(WIDTHS, heads, strict=True):
            self.cell(width, LINE_HEIGHT, head, border=1, align="C", fill=False)
        self.ln()
        self.set_font(FONT, size=9)
        for line in lines:
            formula = _("Held: %(reason)s", reason=line.hold_reason) if line.held else line.formula
            self._row((str(line.label), line.level_label, formula, f"{line.amount:.2f}"))
        if not lines:
            self.cell(sum(WIDTHS), LINE_HEIGHT, _("No allowance line this month."), border=1, align="C")
            self.ln()

    def _row(self, cells) -> None:
        """A row whose formula may wrap: every cell as tall as the formula's lines (most fit on one:
        plain cells then, measuring is cheaper than wrapping)."""
        if self._fits(cells[2], WIDTHS[2]):
            for i, (width, text) in enumerate(zip(WIDTHS, cells, strict=True)):
                self.cell(width, LINE_HEIGHT, text, border=1, align="R" if i == 3 else "L")
            self.ln(LINE_HEIGHT)
            return
        wrapped = self.multi_cell(WIDTHS[2], WRAPPED_HEIGHT, cells[2], dry_run=True, output="LINES")
        line_height = LINE_HEIGHT if len(wrapped) <= 1 else WRAPPED_HEIGHT
        height = line_height * max(1, len(wrapped))
        if self.will_page_break(height):
            self.add_page()
        for i, (width, text) in enumerate(zip(WIDTHS, cells, strict=True)):
            if i == 2:
                self.multi_cell(width, line_height, text, border=1, align="L", new_x="RIGHT", new_y="TOP")
            else:
                self.cell(width, height, text, border=1, align="R" if i == 3 else "L")
        self.ln(height)

    def _summary(self, s: Statement) -> None:
        returned = [
            ("    " + _("of which returned by the bank (%(month)s) and paid again", month=f"{m:%Y-%m}"), f"{a:.2f}")
            for m, a in s.returned_in
        ]
        rows = (
            (_("Lines of the month"), f"{s.lines_total:.2f}"),
            (_("Carried in from earlier batches"), f"{s.carried_in:.2f}"),
            *returned,
            (_("Net"), f"{s.net:.2f}"),
            (_("Paid"), f"{s.paid:.2f}"),
            (_("Carried forward"), f"{s.carried_out:.2f}"),
        )
        self.set_font(FONT, size=10)
        for label, value in rows:
            self.cell(110, LINE_HEIGHT, label, border=1)
            self.cell(70, LINE_HEIGHT, value, border=1, align="R", new_x="LMARGIN", new_y="NEXT")
        status = s.state.label if s.state != PayState.returned else _("Returned: %(reason)s", reason=s.reason)
        self.cell(40, LINE_HEIGHT, _("Payment status"), border=1)
        if self._fits(str(status), 140):
            self.cell(140, LINE_HEIGHT, str(status), border=1, new_x="LMARGIN", new_y="NEXT")
        else:
            self.multi_cell(140, LINE_HEIGHT, str(status), border=1, align="L", new_x="LMARGIN", new_y="NEXT")

    def _fits(self, text: str, width: float) -> bool:
        return self.get_string_width(text) <= width - 2 * self.c_margin


def render(statements: Iterable[Statement]) -> bytes:
    """The PDF of these statements, a page each (a long list of lines runs onto a second page)."""
    pdf = StatementPDF(font_path())
    for statement in statements:
        pdf.statement(statement)
    return bytes(pdf.output())


def file_name(month: str, who: str) -> str:
    return f"statement-{month}-{who}.pdf"
