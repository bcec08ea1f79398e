"""The term report as a file: one row per district and a total, Chinese headers (English with
lang="en"), shares and changes as plain numbers with one decimal."""

from app.core.exporting import write_csv, write_xlsx
from app.reports.queries import TermReport, TermRow

TERM_COLUMNS = [
    ("district_code", "区县代码"),
    ("district", "区县"),
    ("members", "两委成员人数"),
    ("under_50", "50岁以下人数"),
    ("under_50_pct", "50岁以下占比(%)"),
    ("under_50_change_pts", "50岁以下占比比上届增减(百分点)"),
    ("college_or_higher", "大专及以上人数"),
    ("college_or_higher_pct", "大专及以上占比(%)"),
    ("college_or_higher_change_pts", "大专及以上占比比上届增减(百分点)"),
]
TOTAL_LABELS = {("zh", True): "全市", ("zh", False): "合计", ("en", True): "City-wide", ("en", False): "Total"}


def _number(value):
    return None if value is None else float(value)


def _row(row: TermRow, code: str, name: str) -> tuple:
    c = row.counts
    return (
        code,
        name,
        c.members,
        c.under_50,
        _number(c.share_under_50),
        _number(row.change_under_50),
        c.college,
        _number(c.share_college),
        _number(row.change_college),
    )


def term_rows(report: TermReport, lang: str = "zh") -> list[tuple]:
    rows = [_row(r, r.code, r.name) for r in report.rows]
    rows.append(_row(report.total, "", TOTAL_LABELS[(lang, report.city_wide)]))
    return rows


def export_term(report: TermReport, fmt: str, lang: str = "zh") -> bytes:
    headers = [en if lang == "en" else zh for en, zh in TERM_COLUMNS]
    rows = term_rows(report, lang)
    if fmt == "csv":
        return write_csv(headers, rows)
    return write_xlsx(headers, rows, sheet_title=report.term.name, text_columns=(0,))


def file_name(report: TermReport, fmt: str) -> str:
    return f"term-{report.term.elected_on:%Y%m%d}.{fmt}"
