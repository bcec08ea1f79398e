"""The last run of every Celery task (issue #13, the admin's system page): one row per task
name, written by Celery's signals (app/core/task_runs.py).

Revision ID: 5e7a2c9d4b31
Revises: 9b3e1c7d5a20
Create Date: 2026-12-05 12:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5e7a2c9d4b31"
down_revision = "9b3e1c7d5a20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "task_run",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_task_run")),
    )


def downgrade():
    op.drop_table("task_run")
