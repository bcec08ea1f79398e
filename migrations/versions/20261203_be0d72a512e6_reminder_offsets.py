"""Reminders (issue #11): how many days before its event each reminder is due is a row an
administrator changes, seeded with the values the finders had as constants until now.

Revision ID: be0d72a512e6
Revises: 9d2f4b6a8c10
Create Date: 2026-12-02 10:45:00.000000

"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "be0d72a512e6"
down_revision = "9d2f4b6a8c10"
branch_labels = None
depends_on = None


OFFSETS = [
    ("session_in_3_days", 3),
    ("session_in_1_day", 1),
    ("registration_expiring_90", 90),
    ("registration_expiring_30", 30),
]


def upgrade():
    op.create_table(
        "reminder_offset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("days BETWEEN 1 AND 365", name=op.f("ck_reminder_offset_days_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_offset")),
        sa.UniqueConstraint("kind", name=op.f("uq_reminder_offset_kind")),
    )
    offset = sa.table(
        "reminder_offset",
        sa.column("kind", sa.String),
        sa.column("days", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(timezone.utc)
    op.bulk_insert(offset, [{"kind": k, "days": d, "created_at": now, "updated_at": now} for k, d in OFFSETS])


def downgrade():
    op.drop_table("reminder_offset")
