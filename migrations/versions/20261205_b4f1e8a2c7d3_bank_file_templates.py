"""Bank file templates (issue #14): the bank's file layout as data, with the default one.

The default (DOMAIN.md): 序号, 户名, 账号, 金额, 开户行, 身份证号, 摘要, CSV in GB18030, a header row
and no totals row; the export uses it when no template is chosen. One default at a time (a
partial unique index).

Revision ID: b4f1e8a2c7d3
Revises: 5e7a2c9d4b31
Create Date: 2026-12-02 11:40:00.000000

"""

from alembic import op
import sqlalchemy as sa
from datetime import datetime, timezone


# revision identifiers, used by Alembic.
revision = "b4f1e8a2c7d3"
down_revision = "5e7a2c9d4b31"
branch_labels = None
depends_on = None

DEFAULT_COLUMNS = [
    ("seq", "序号"),
    ("name", "户名"),
    ("account_no", "账号"),
    ("amount", "金额"),
    ("bank", "开户行"),
    ("id_number", "身份证号"),
    ("memo", "摘要"),
]


def upgrade():
    op.create_table(
        "bank_file_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=True),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("header_row", sa.Boolean(), nullable=False),
        sa.Column("totals_row", sa.Boolean(), nullable=False),
        sa.Column("totals_label", sa.String(length=32), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["bank.id"], name=op.f("fk_bank_file_template_bank_id_bank"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_file_template")),
        sa.UniqueConstraint("name", name=op.f("uq_bank_file_template_name")),
    )
    op.create_index(
        "uq_bank_file_template_default",
        "bank_file_template",
        ["is_default"],
        unique=True,
        postgresql_where=sa.text("is_default"),
        sqlite_where=sa.text("is_default"),
    )
    template = sa.table(
        "bank_file_template",
        sa.column("name", sa.String),
        sa.column("columns", sa.JSON),
        sa.column("file_format", sa.String),
        sa.column("encoding", sa.String),
        sa.column("header_row", sa.Boolean),
        sa.column("totals_row", sa.Boolean),
        sa.column("totals_label", sa.String),
        sa.column("is_default", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(timezone.utc)
    op.bulk_insert(
        template,
        [
            {
                "name": "默认（通用代发）",
                "columns": [{"key": key, "header": header} for key, header in DEFAULT_COLUMNS],
                "file_format": "csv",
                "encoding": "gb18030",
                "header_row": True,
                "totals_row": False,
                "totals_label": "合计",
                "is_default": True,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )


def downgrade():
    op.drop_index("uq_bank_file_template_default", table_name="bank_file_template")
    op.drop_table("bank_file_template")
