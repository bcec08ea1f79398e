"""The pay-floor report as files: the directors of a month (full ID numbers, audited), the
districts' averages beside their floors, and the yearly trend. Chinese headers by default,
English with lang="en"; amounts are plain numbers with two decimals."""

from app.core.audit import AuditAction, record
from app.core.exporting import write_csv, write_xlsx
from app.reports.pay_floor import DirectorLine, PayFloorReport

DIRECTOR_COLUMNS = [
    ("month", "月份"),
    ("district_code", "区县代码"),
    ("district", "区县"),
    ("community", "社区"),
    ("id_number", "身份证号"),
    ("name", "姓名"),
    ("pay", "报酬"),
    ("floor", "最低保障标准"),
    ("shortfall", "低于标准差额"),
    ("status", "状态"),
]
DISTRICT_COLUMNS = [
    ("month", "月份"),
    ("district_code", "区县代码"),
    ("district", "区县"),
    ("directors", "主任人数"),
    ("with_pay", "有报酬记录人数"),
    ("average_pay", "主任平均报酬"),
    ("floor", "最低保障标准"),
    ("below", "低于标准人数"),
]
TREND_COLUMNS = [("year", "年度"), ("records", "报酬记录数"), ("average_pay", "主任平均月报酬")]
TABLES = {"directors": DIRECTOR_COLUMNS, "districts": DISTRICT_COLUMNS, "trend": TREND_COLUMNS}
STATUS = {
    "below": ("below the floor", "低于最低保障"),
    "missing": ("no pay record", "无报酬记录"),
    "no_floor": ("no income recorded for the floor", "未录入上年收入"),
    "ok": ("at or above the floor", "达标"),
}
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TEXT_COLUMNS = {"directors": (0, 1, 4), "districts": (0, 1), "trend": ()}


def status(line: DirectorLine) -> str:
    if line.pay is None:
        return "missing"
    if line.floor is None:
        return "no_floor"
    return "below" if line.shortfall else "ok"


def status_label(line: DirectorLine, lang: str = "zh") -> str:
    en, zh = STATUS[status(line)]
    return en if lang == "en" else zh


def table_rows(report: PayFloorReport, table: str, lang: str = "zh") -> list[tuple]:
    month = f"{report.month:%Y-%m}"
    if table == "trend":
        return [(y.year, y.records, y.average) for y in report.trend]
    if table == "districts":
        return [(month, d.code, d.name, d.directors, d.with_pay, d.average, d.floor, d.below) for d in report.districts]
    names = {d.district_id: (d.code, d.name) for d in report.districts}
    return [
        (
            month,
            *names[x.director.district_id],
            x.director.community,
            x.director.id_number,
            x.director.name,
            x.pay,
            x.floor,
            x.shortfall,
            status_label(x, lang),
        )
        for x in report.lines
    ]


def log_export(report: PayFloorReport, target: str, rows: int) -> None:
    """The directors' table names full ID numbers: every copy of it is written to the audit log."""
    summary = f"director pay floor {report.month:%Y-%m} ({target}, {rows} rows, full ID numbers)"
    record(AuditAction.export, "director_pay", None, summary=summary, after={"rows": rows})


def export_table(report: PayFloorReport, table: str, fmt: str, lang: str = "zh") -> bytes:
    """The file of one table; the directors' file names full ID numbers, so it is logged."""
    headers = [en if lang == "en" else zh for en, zh in TABLES[table]]
    rows = table_rows(report, table, lang)
    if table == "directors":
        log_export(report, fmt, len(rows))
    if fmt == "csv":
        return write_csv(headers, rows)
    title = f"{'pay floor' if lang == 'en' else '主任报酬最低保障'} {report.month:%Y-%m}"
    return write_xlsx(headers, rows, sheet_title=title, text_columns=TEXT_COLUMNS[table])


def file_name(report: PayFloorReport, table: str, fmt: str) -> str:
    return f"pay-floor-{report.month:%Y-%m}-{table}.{fmt}"
