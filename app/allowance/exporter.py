"""Allowance lists for the finance office (XLSX, with subtotals) and the bank (CSV, lines only).

One row per line with an amount, and per held line (0.00, with the hold's reason). A locked run
exports both files; a draft, submitted or approved run only the XLSX, marked as such in its title
and file name (for checking, never for paying). Full ID numbers leave the system, so every
export is audited with the file's SHA-256 and appears on the run's timeline.
"""

import hashlib
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.allowance import services, workbook
from app.allowance.models import AllowanceLine, AllowanceRun, LineKind, RunState
from app.core.audit import AuditAction, record
from app.core.exporting import write_csv
from app.core.services import ServiceError
from app.core.timeutil import to_local, utcnow
from app.exams.levels import LEVEL_ZH, Level
from app.extensions import db
from app.places.models import Community
from app.workers.models import Worker

COLUMNS = [
    ("month", "月份", 9),
    ("district_code", "区县代码", 10),
    ("district", "区县", 10),
    ("street", "街道", 14),
    ("community_code", "社区代码", 15),
    ("community", "社区", 14),
    ("id_number", "身份证号", 21),  # 18 characters, with room to spare
    ("name", "姓名", 10),
    ("level", "等级", 14),
    ("rate", "标准", 10),
    ("eligible_days", "享受天数", 8),
    ("days_in_month", "当月天数", 8),
    ("amount", "金额", 13),
    ("kind", "类型", 8),
    ("corrects_month", "所属月份", 9),
    ("formula", "计算公式", 34),
]
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
RATE, AMOUNT, FORMULA = 9, 12, 15
TEXT_COLUMNS = (1, 4, 6)
NAME, ID_NUMBER = 7, 6

# How each state marks the file: its title and its name (a locked run's name carries no mark).
STATE_MARK = {
    "zh": {
        RunState.draft: "草稿",
        RunState.submitted: "待审批",
        RunState.approved: "已审批待锁定",
        RunState.locked: "已锁定",
    },
    "en": {
        RunState.draft: "draft",
        RunState.submitted: "submitted",
        RunState.approved: "approved, not locked",
        RunState.locked: "locked",
    },
}
WORDS = {
    "zh": {
        "title": "{year}年{month}月职业津贴发放表（{state}）",
        "checking": "，仅供核对，不作发放依据",
        "made": "制表时间：{at}（北京时间）　制表人：{by}",
        "street": "街道小计",
        "district": "区县合计",
        "total": "总计",
        "heads": "{n}人",
        "held": "暂停发放：{reason}",
        "allowance": "津贴",
        "back_pay": "补发",
        "claw_back": "扣回",
        "signatures": ("制表：＿＿＿＿＿＿＿＿", "审核：＿＿＿＿＿＿＿＿", "审批：＿＿＿＿＿＿＿＿"),
    },
    "en": {
        "title": "Professional allowance {year}-{month} ({state})",
        "checking": ", for checking only, not for paying",
        "made": "Made at {at} (Beijing time) by {by}",
        "street": "street subtotal",
        "district": "district total",
        "total": "grand total",
        "heads": "{n} people",
        "held": "held: {reason}",
        "allowance": "allowance",
        "back_pay": "arrears",
        "claw_back": "arrears",
        "signatures": ("Prepared by: ________", "Checked by: ________", "Approved by: ________"),
    },
}


def why_not_exportable(run: AllowanceRun, fmt: str) -> str | None:
    """The bank CSV is made from a locked run only; the XLSX from any run that is fully computed."""
    if run.computed_at is None:
        return _("The run is still being computed; export it once it is done.")
    if fmt == "csv" and run.state != RunState.locked:
        return _("The bank file is made from a locked run only; export the XLSX to check a run that is not locked.")
    return None


def check_exportable(run: AllowanceRun, fmt: str) -> None:
    reason = why_not_exportable(run, fmt)
    if reason is not None:
        raise ServiceError(reason)


def export_file_name(run: AllowanceRun, fmt: str, lang: str = "zh") -> str:
    name = f"allowance-{run.month:%Y-%m}"
    if run.state != RunState.locked:
        name += "-" + STATE_MARK[_lang(lang)][run.state].replace(", ", "-").replace(" ", "-")
    return f"{name}.{fmt}"


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def _rows(lines_query: sa.Select, run: AllowanceRun, lang: str):
    words = WORDS[lang]
    sub = lines_query.where(sa.or_(AllowanceLine.amount != 0, AllowanceLine.held.is_(True))).subquery()
    line = sa.orm.aliased(AllowanceLine, sub)
    stmt = (
        sa.select(
            line,
            Worker.id_number,
            Worker.name,
            # the places as the line recorded them (a snapshot: a locked month reads the same after
            # places are renamed); the community's code, which the line does not copy, by its id
            line.district_code,
            line.district_name,
            line.street_name,
            Community.code,
            line.community_name,
        )
        .join(Worker, Worker.id == line.worker_id)
        .outerjoin(Community, Community.id == line.community_id)
        .order_by(
            line.district_code, line.street_name, Community.code, Worker.id_number, line.kind, line.corrects_month
        )
        .options(sa.orm.raiseload("*"))  # the columns above are all it needs: no eager joins per line
        .execution_options(yield_per=5000)
    )
    month = f"{run.month:%Y-%m}"
    for ln, id_number, name, dcode, dname, sname, ccode, cname in db.session.execute(stmt):
        level = "" if ln.level is None else (ln.level.value if lang == "en" else LEVEL_ZH[Level(ln.level)])
        formula = ln.formula
        if ln.kind == LineKind.allowance:
            kind, corrects = words["allowance"], ""
            if ln.held:
                formula = words["held"].format(reason=ln.hold_reason or "")
        else:
            kind = words["back_pay"] if ln.amount > 0 else words["claw_back"]
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
            formula,
        )


class _Group:
    def __init__(self):
        self.amount, self.people = Decimal("0.00"), set()

    def add(self, row):
        self.amount += row[AMOUNT]
        self.people.add(row[ID_NUMBER])


def _with_subtotals(rows, lang: str):
    """Street subtotals, district totals and a grand total between the lines, each with its head
    count (distinct people); yields (is_total, row)."""
    words = WORDS[lang]
    width = len(COLUMNS)

    def total_row(label, dcode, dname, sname, group):
        row = [""] * width
        row[1], row[2], row[3], row[NAME], row[AMOUNT] = dcode, dname, sname, label, group.amount
        row[ID_NUMBER] = words["heads"].format(n=len(group.people))
        return True, row

    grand, district, street = _Group(), _Group(), _Group()
    current_d = current_s = None
    for row in rows:
        d, s = (row[1], row[2]), row[3]
        if current_s is not None and (d != current_d or s != current_s):
            yield total_row(words["street"], *current_d, current_s, street)
            street = _Group()
        if current_d is not None and d != current_d:
            yield total_row(words["district"], *current_d, "", district)
            district = _Group()
        current_d, current_s = d, s
        for group in (street, district, grand):
            group.add(row)
        yield False, row
    if current_d is not None:
        yield total_row(words["street"], *current_d, current_s, street)
        yield total_row(words["district"], *current_d, "", district)
    yield total_row(words["total"], "", "", "", grand)


def _layout(run: AllowanceRun, lang: str, made_by: str, made_at: datetime) -> workbook.Layout:
    words = WORDS[lang]
    state = STATE_MARK[lang][run.state] + ("" if run.state == RunState.locked else words["checking"])
    return workbook.Layout(
        title=words["title"].format(year=f"{run.month:%Y}", month=f"{run.month:%m}", state=state),
        subtitle=words["made"].format(at=f"{to_local(made_at):%Y-%m-%d %H:%M}", by=made_by or "—"),
        headers=[key if lang == "en" else zh for key, zh, _w in COLUMNS],
        widths=[w for _k, _zh, w in COLUMNS],
        money_columns=(RATE, AMOUNT),
        text_columns=TEXT_COLUMNS,
        signatures=words["signatures"],
        sheet_title=f"{run.month:%Y-%m}",
    )


def export_run(
    lines_query: sa.Select,
    run: AllowanceRun,
    fmt: str,
    lang: str = "zh",
    made_by: str = "",
    user_id: int | None = None,
) -> tuple[bytes, str]:
    """The file's bytes and SHA-256; raises ServiceError when the run's state does not allow it."""
    check_exportable(run, fmt)
    lang = _lang(lang)
    rows = _rows(lines_query, run, lang)
    if fmt == "csv":
        content = write_csv([key if lang == "en" else zh for key, zh, _w in COLUMNS], rows)
    else:
        content = workbook.write(_layout(run, lang, made_by, utcnow()), _with_subtotals(rows, lang))
    digest = hashlib.sha256(content).hexdigest()
    record(
        AuditAction.export,
        "allowance_run",
        run.id,
        summary=f"allowance export {run.month:%Y-%m} ({fmt}, {run.state.value}, full ID numbers) sha256={digest}",
        after={"format": fmt, "state": run.state.value, "sha256": digest, "bytes": len(content)},
    )
    services.record_export(run, fmt, user_id)
    return content, digest
