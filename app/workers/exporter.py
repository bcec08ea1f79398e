"""The workers export: the posts file (re-importable) with the place names beside it.

Full ID numbers leave the system here, so every export is written to the audit log.
"""

from datetime import date

import sqlalchemy as sa

from app.core.audit import AuditAction, record
from app.core.exporting import write_csv, write_xlsx
from app.extensions import db
from app.places.models import Community, District, Street
from app.workers.models import PostPeriod, Worker

EXPORT_COLUMNS = [
    ("id_number", "身份证号"),
    ("name", "姓名"),
    ("phone", "手机号"),
    ("community_code", "社区代码"),
    ("post", "岗位"),
    ("start_date", "到岗日期"),
    ("end_date", "离岗日期"),
    ("district_code", "区县代码"),
    ("district", "区县"),
    ("street", "街道"),
    ("community", "社区"),
]
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
POST_ZH = {"head": "书记/主任", "deputy": "副书记/副主任", "member": "两委委员", "staff": "专职工作人员"}


def export_rows(worker_query: sa.Select, lang: str = "zh"):
    """One row per post period of every worker the query selects, in ID order."""
    ids = worker_query.with_only_columns(Worker.id).order_by(None).subquery()
    stmt = (
        sa.select(
            Worker.id_number,
            Worker.name,
            Worker.phone,
            Community.code,
            PostPeriod.post_type,
            PostPeriod.start_date,
            PostPeriod.end_date,
            District.code,
            District.name,
            Street.name,
            Community.name,
        )
        .join(PostPeriod, PostPeriod.worker_id == Worker.id)
        .join(Community, Community.id == PostPeriod.community_id)
        .join(Street, Street.id == Community.street_id)
        .join(District, District.id == Community.district_id)
        .where(Worker.id.in_(sa.select(ids.c.id)))
        .order_by(Worker.id_number, PostPeriod.start_date)
        .execution_options(yield_per=5000)
    )
    for row in db.session.execute(stmt):
        post = row[4]
        label = post.value if lang == "en" else POST_ZH[post.value]
        yield (row[0], row[1], row[2], row[3], label, *row[5:])


def export_filename(fmt: str, day: date) -> str:
    return f"workers-{day.isoformat()}.{fmt}"


def export_workers(worker_query: sa.Select, fmt: str, lang: str = "zh") -> tuple[bytes, int]:
    headers = [key if lang == "en" else zh for key, zh in EXPORT_COLUMNS]
    rows = list(export_rows(worker_query, lang))
    if fmt == "csv":
        content = write_csv(headers, rows)
    else:
        content = write_xlsx(headers, rows, "workers", text_columns=(0, 2, 3, 7))
    record(
        AuditAction.export,
        "worker",
        None,
        summary=f"workers export ({fmt}, {len(rows)} rows, full ID numbers)",
        after={"rows": len(rows)},
    )
    return content, len(rows)
