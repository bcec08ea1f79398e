"""Allowance lists for the finance office (XLSX, with subtotals) and the bank (CSV, lines only).

One row per line with a non-zero amount; full ID numbers leave the system, so every export is
audited with the file's SHA-256.
"""

import hashlib
from decimal import Decimal

import sqlalchemy as sa

from app.allowance.models import AllowanceLine, AllowanceRun, LineKind
from app.core.audit import AuditAction, record
from app.core.exporting import write_csv, write_xlsx
from app.exams.levels import LEVEL_ZH, Level
from app.extensions import db
from app.places.models import Community, District, Street
from app.workers.models import Worker

COLUMNS = [
    ("month", "月份"),
    ("district_code", "区县代码"),
    ("district", "区县"),
    ("street", "街道"),
    ("community_code", "社区代码"),
    ("community", "社区"),
    ("id_number", "身份证号"),
    ("name", "姓名"),
    ("level", "等级"),
    ("rate", "标准"),
    ("eligible_days", "享受天数"),
    ("days_in_month", "当月天数"),
    ("amount", "金额"),
    ("kind", "类型"),
    ("corrects_month", "所属月份"),
    ("formula", "计算公式"),
]
AMOUNT, TEXT_COLUMNS = 12, (1, 4, 6)


def _rows(lines_query: sa.Select, run: AllowanceRun, lang: str):
    sub = lines_query.where(AllowanceLine.amount != 0).subquery()
    line = sa.orm.aliased(AllowanceLine, sub)
    stmt = (
        sa.select(
            line,
            Worker.id_number,
            Worker.name,
            District.code,
            District.name,
            Street.name,
            Community.code,
            Community.name,
        )
        .join(Worker, Worker.id == line.worker_id)
        .outerjoin(District, District.id == line.district_id)
        .outerjoin(Street, Street.id == line.street_id)
        .outerjoin(Community, Community.id == line.community_id)
        .order_by(District.code, Street.name, Community.code, Worker.id_number, line.kind, line.corrects_month)
        .execution_options(yield_per=5000)
    )
    month = f"{run.month:%Y-%m}"
    for ln, id_number, name, dcode, dname, sname, ccode, cname in db.session.execute(stmt):
        level = "" if ln.level is None else (ln.level.value if lang == "en" else LEVEL_ZH[Level(ln.level)])
        if ln.kind == LineKind.allowance:
            kind = "allowance" if lang == "en" else "津贴"
            corrects = ""
        else:
            kind = "arrears" if lang == "en" else ("补发" if ln.amount > 0 else "扣回")
            corrects = f"{ln.corrects_month:%Y-%m}"
        yield (
            month,
            dcode or "",
            dname or "",
            sname or "",
            ccode or "",
            cname or "",
            id_number,
            name,
            level,
            ln.rate if ln.rate is not None else "",
            ln.eligible_days,
            ln.days_in_month,
            ln.amount,
            kind,
            corrects,
            ln.formula,
        )


def _with_subtotals(rows, lang: str):
    """Street subtotals, district totals and a grand total between the lines (XLSX only)."""
    labels = (
        {"street": "街道小计", "district": "区县合计", "total": "总计"}
        if lang != "en"
        else {"street": "street subtotal", "district": "district total", "total": "grand total"}
    )
    width = len(COLUMNS)

    def total_row(label, dcode, dname, sname, amount):
        row = [""] * width
        row[1], row[2], row[3], row[7], row[AMOUNT] = dcode, dname, sname, label, amount
        return row

    grand, district, street = Decimal(0), Decimal(0), Decimal(0)
    current_d = current_s = None
    for row in rows:
        d, s = (row[1], row[2]), row[3]
        if current_s is not None and (d != current_d or s != current_s):
            yield total_row(labels["street"], *current_d, current_s, street)
            street = Decimal(0)
        if current_d is not None and d != current_d:
            yield total_row(labels["district"], *current_d, "", district)
            district = Decimal(0)
        current_d, current_s = d, s
        street += row[AMOUNT]
        district += row[AMOUNT]
        grand += row[AMOUNT]
        yield row
    if current_d is not None:
        yield total_row(labels["street"], *current_d, current_s, street)
        yield total_row(labels["district"], *current_d, "", district)
    yield total_row(labels["total"], "", "", "", grand)


def export_run(lines_query: sa.Select, run: AllowanceRun, fmt: str, lang: str = "zh") -> tuple[bytes, str]:
    headers = [key if lang == "en" else zh for key, zh in COLUMNS]
    rows = _rows(lines_query, run, lang)
    if fmt == "csv":
        content = write_csv(headers, rows)
    else:
        content = write_xlsx(headers, _with_subtotals(rows, lang), f"{run.month:%Y-%m}", text_columns=TEXT_COLUMNS)
    digest = hashlib.sha256(content).hexdigest()
    record(
        AuditAction.export,
        "allowance_run",
        run.id,
        summary=f"allowance export {run.month:%Y-%m} ({fmt}, full ID numbers) sha256={digest}",
        after={"format": fmt, "sha256": digest, "bytes": len(content)},
    )
    return content, digest
