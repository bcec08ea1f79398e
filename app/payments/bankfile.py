"""The bank's payroll-agency file (代发文件) of a batch: one row per payment.

Default layout (DOMAIN.md): 序号, 户名, 账号, 金额, 开户行, 身份证号, 摘要, CSV in GB18030 as bank
portals expect. Everything in it is copied into the batch when it is made, so the file made
again is byte-identical. Full account and ID numbers leave the system: each export is audited
with the file's SHA-256.
"""

import csv
import hashlib
import io

from app.core.audit import AuditAction, record
from app.core.exporting import safe_cell
from app.payments import queries
from app.payments.models import PaymentBatch

HEADERS = ["序号", "户名", "账号", "金额", "开户行", "身份证号", "摘要"]
ENCODING = "gb18030"


def memo(batch: PaymentBatch) -> str:
    return f"{batch.month:%Y}年{batch.month:%m}月职业津贴"


def bank_file(batch: PaymentBatch) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    summary = memo(batch)
    for n, row in enumerate(queries.paid_rows(batch), start=1):
        writer.writerow(
            [n, safe_cell(row.holder_name), row.account_no, f"{row.paid:.2f}", row.bank_name, row.id_number, summary]
        )
    return buffer.getvalue().encode(ENCODING)


def file_name(batch: PaymentBatch) -> str:
    return f"payments-{batch.month:%Y-%m}.csv"


def export_batch(batch: PaymentBatch) -> tuple[bytes, str]:
    """The file and its SHA-256, with the audit entry (committed by the caller)."""
    content = bank_file(batch)
    digest = hashlib.sha256(content).hexdigest()
    record(
        AuditAction.export,
        "payment_batch",
        batch.id,
        summary=f"bank file {batch.month:%Y-%m} (csv, {ENCODING}, full account and ID numbers) sha256={digest}",
        after={"format": f"csv ({ENCODING})", "sha256": digest, "bytes": len(content)},
    )
    return content, digest
