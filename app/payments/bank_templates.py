"""Bank file templates (代发文件模板): the bank's file layout as data.

A template names its columns, in order, from a fixed catalogue (each a value the batch holds), with
the header the bank expects for each; the file is CSV in the template's encoding (GB18030 as bank
portals expect, or UTF-8 with or without a BOM) or XLSX; a header row and a totals row are
optional. One template is the default (seeded by the migration: 序号, 户名, 账号, 金额, 开户行,
身份证号, 摘要 in GB18030), used when none is chosen.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import Audited, TimestampMixin
from app.extensions import db


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # what the admin page calls it (translated)
    header: str  # the header a bank file usually gives it


CATALOGUE = (
    Column("seq", _l("Sequence number (1, 2, 3…)"), "序号"),
    Column("name", _l("Account holder's name"), "户名"),
    Column("account_no", _l("Account number"), "账号"),
    Column("amount", _l("Amount"), "金额"),
    Column("bank", _l("Bank of the account"), "开户行"),
    Column("id_number", _l("ID number"), "身份证号"),
    Column("memo", _l("Memo (e.g. 2026年03月职业津贴)"), "摘要"),
    Column("month", _l("Month (YYYY-MM)"), "月份"),
    Column("district", _l("District"), "区县"),
    Column("district_code", _l("District code"), "区县代码"),
    Column("currency", _l("Currency (人民币)"), "币种"),
)
COLUMNS = {c.key: c for c in CATALOGUE}
REQUIRED_COLUMNS = ("account_no", "amount")  # a bank pays nothing without them
DEFAULT_COLUMNS = ("seq", "name", "account_no", "amount", "bank", "id_number", "memo")

ENCODINGS = {
    "gb18030": _l("GB18030 (bank portals)"),
    "utf-8": _l("UTF-8"),
    "utf-8-sig": _l("UTF-8 with a BOM (Excel)"),
}
FORMATS = {"csv": _l("CSV"), "xlsx": _l("XLSX (Excel)")}
HEADER_MAX = 32


class BankFileTemplate(Audited, TimestampMixin, db.Model):
    __tablename__ = "bank_file_template"
    __table_args__ = (
        sa.Index(
            "uq_bank_file_template_default",
            "is_default",
            unique=True,
            postgresql_where=sa.text("is_default"),
            sqlite_where=sa.text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    bank_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bank.id", ondelete="SET NULL"))
    columns: Mapped[list] = mapped_column(sa.JSON, nullable=False)  # [{"key": "account_no", "header": "账号"}, …]
    file_format: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="csv")
    encoding: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="gb18030")
    header_row: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    totals_row: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    totals_label: Mapped[str] = mapped_column(sa.String(HEADER_MAX), nullable=False, default="合计")
    is_default: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)

    bank = relationship("Bank")

    @property
    def keys(self) -> list[str]:
        return [c["key"] for c in self.columns]

    @property
    def headers(self) -> list[str]:
        return [c["header"] for c in self.columns]

    @property
    def extension(self) -> str:
        return self.file_format

    def __repr__(self) -> str:
        return f"<BankFileTemplate {self.name}>"
