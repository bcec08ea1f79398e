"""Bank returns (issue #14): the bank's word on each payment (paid or returned, with the reason)
and the batch a returned amount was carried into.

Revision ID: 50156e42f69c
Revises: f6d6945dda1a
Create Date: 2026-12-03 12:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "50156e42f69c"
down_revision = "f6d6945dda1a"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payment_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum("paid", "returned", name="bankresult", native_enum=False, length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("carried_to_batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_result_amount_positive")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["payment_batch.id"], name=op.f("fk_payment_result_batch_id_payment_batch"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["carried_to_batch_id"],
            ["payment_batch.id"],
            name=op.f("fk_payment_result_carried_to_batch_id_payment_batch"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["payment_line.id"], name=op.f("fk_payment_result_line_id_payment_line"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_result")),
        sa.UniqueConstraint("line_id", name=op.f("uq_payment_result_line_id")),
    )
    with op.batch_alter_table("payment_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_result_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payment_result_carried_to_batch_id"), ["carried_to_batch_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("payment_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_result_carried_to_batch_id"))
        batch_op.drop_index(batch_op.f("ix_payment_result_batch_id"))
    op.drop_table("payment_result")
