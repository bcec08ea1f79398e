"""The bank's payroll-agency file (代发文件) of a batch: one row per payment, laid out by a template.

The template (app/payments/bank_templates.py) names the columns, their headers and order, the
format (CSV in its encoding, or XLSX), and whether a header and a totals row are written; the
default one (DOMAIN.md: 序号, 户名, 账号, 金额, 开户行, 身份证号, 摘要, CSV in GB18030) is used when
none is chosen. Every value comes from the batch, which copied the payees in when it was made, so
the file made again is byte-identical (the XLSX carries no clock time either). Full account and ID
numbers leave the system: each export is audited with the file's SHA-256 and the template's name.
"""

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from decimal import Decimal

import sqlalchemy as sa

from app.core.audit import AuditAction, record
from app.core.exporting import safe_cell
from app.extensions import db
from app.payments import bank_template_services as templates
from app.payments.bank_templates import COLUMNS, DEFAULT_COLUMNS, BankFileTemplate
from app.payments.bankfile_xlsx import write_xlsx
from app.payments.models import Outcome, PaymentBatch, PaymentLine
from app.places.models import District

MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
CURRENCY = "人民币"


def memo(batch: PaymentBatch) -> str:
    return f"{batch.month:%Y}年{batch.month:%m}月职业津贴"


def builtin_default() -> BankFileTemplate:
    """The default layout, should the seeded template be missing (never saved)."""
    return BankFileTemplate(
        name="默认",
        columns=[{"key": k, "header": COLUMNS[k].header} for k in DEFAULT_COLUMNS],
        file_format="csv",
        encoding="gb18030",
        header_row=True,
        totals_row=False,
        totals_label="合计",
        is_default=True,
    )


def template_or_default(template: BankFileTemplate | None) -> BankFileTemplate:
    return template or templates.default_template() or builtin_default()


def payee_rows(batch: PaymentBatch) -> list:
    """The paid lines in the batch's own order, with what the catalogue's columns need."""
    return db.session.execute(
        sa.select(
            PaymentLine.holder_name,
            PaymentLine.account_no,
            PaymentLine.paid,
            PaymentLine.bank_name,
            PaymentLine.id_number,
            District.code.label("district_code"),
            District.name.label("district"),
        )
        .outerjoin(District, District.id == PaymentLine.district_id)
        .where(PaymentLine.batch_id == batch.id, PaymentLine.outcome == Outcome.paid)
        .order_by(PaymentLine.id)
    ).all()


def table(batch: PaymentBatch, template: BankFileTemplate) -> Iterator[list]:
    """The file's rows as values (int, Decimal, str or None): header, payments, totals."""
    keys = template.keys
    if template.header_row:
        yield template.headers
    fixed = {"memo": memo(batch), "month": f"{batch.month:%Y-%m}", "currency": CURRENCY}
    total = Decimal("0.00")
    for n, row in enumerate(payee_rows(batch), start=1):
        values = {
            "seq": n,
            "name": row.holder_name,
            "account_no": row.account_no,
            "amount": row.paid,
            "bank": row.bank_name,
            "id_number": row.id_number,
            "district": row.district,
            "district_code": row.district_code,
            **fixed,
        }
        total += row.paid
        yield [values[k] for k in keys]
    if template.totals_row:
        yield totals(template, total)


def totals(template: BankFileTemplate, total: Decimal) -> list:
    """The sum under each amount column; the label in the first other column."""
    keys = template.keys
    row: list = [total if k == "amount" else None for k in keys]
    label_at = next((i for i, k in enumerate(keys) if k != "amount"), None)
    if label_at is not None:
        row[label_at] = template.totals_label
    return row


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return safe_cell(value) if isinstance(value, str) else str(value)


def write_csv(batch: PaymentBatch, template: BankFileTemplate) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in table(batch, template):
        writer.writerow([_csv_text(v) for v in row])
    return buffer.getvalue().encode(template.encoding)


def bank_file(batch: PaymentBatch, template: BankFileTemplate | None = None) -> bytes:
    template = template_or_default(template)
    if template.file_format == "xlsx":
        return write_xlsx(table(batch, template), template.keys, batch)
    return write_csv(batch, template)


def file_name(batch: PaymentBatch, template: BankFileTemplate | None = None) -> str:
    template = template_or_default(template)
    if template.is_default:
        return f"payments-{batch.month:%Y-%m}.{template.extension}"
    slug = re.sub(r"[^\w-]+", "-", template.name).strip("-") or str(template.id)
    return f"payments-{batch.month:%Y-%m}-{slug}.{template.extension}"


def mimetype(template: BankFileTemplate | None = None) -> str:
    template = template_or_default(template)
    if template.file_format == "csv":
        return f"text/csv; charset={template.encoding.removesuffix('-sig')}"
    return MIMETYPES[template.file_format]


def describe_format(template: BankFileTemplate) -> str:
    return f"csv ({template.encoding})" if template.file_format == "csv" else template.file_format


def export_batch(batch: PaymentBatch, template: BankFileTemplate | None = None) -> tuple[bytes, str]:
    """The file and its SHA-256, with the audit entry (committed by the caller)."""
    template = template_or_default(template)
    content = bank_file(batch, template)
    digest = hashlib.sha256(content).hexdigest()
    fmt = describe_format(template)
    record(
        AuditAction.export,
        "payment_batch",
        batch.id,
        summary=(
            f"bank file {batch.month:%Y-%m} ({fmt}, template {template.name}, full account and ID numbers)"
            f" sha256={digest}"
        ),
        after={"template": template.name, "format": fmt, "sha256": digest, "bytes": len(content)},
    )
    return content, digest
