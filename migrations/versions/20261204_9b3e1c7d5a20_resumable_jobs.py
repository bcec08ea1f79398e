"""Jobs that resume without a person (issue #13): when each allowance part and import job was
last queued and last taken by a worker, and how many times; one row per beat entry, so two
beats never send the same tick twice.

Revision ID: 9b3e1c7d5a20
Revises: 50156e42f69c
Create Date: 2026-12-04 12:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "9b3e1c7d5a20"
down_revision = "50156e42f69c"
branch_labels = None
depends_on = None

TABLES = ("allowance_run_part", "import_job")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "beat_tick",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tick", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_beat_tick")),
    )


def downgrade():
    op.drop_table("beat_tick")
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("attempts")
            batch_op.drop_column("claimed_at")
            batch_op.drop_column("queued_at")
