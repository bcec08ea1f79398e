"""The API's pages of a run's lines (issue #14): an index in the order they are paged in.

GET /api/runs/<month>/lines sorts a run's lines by district, street, worker, kind, corrected month
and id and takes 1,000 at an offset; without an index in that order PostgreSQL reads the whole run,
joins every line to its worker and sorts it for each page. With it (and the part's district, which
a district-scoped client filters on, kept in the index: PostgreSQL's INCLUDE) a page's ids come from
the index alone.

Revision ID: e2a7c4d91f58
Revises: b4f1e8a2c7d3
Create Date: 2026-12-02 18:30:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "e2a7c4d91f58"
down_revision = "b4f1e8a2c7d3"
branch_labels = None
depends_on = None

COLUMNS = ["run_id", "district_id", "street_id", "worker_id", "kind", "corrects_month", "id"]


def upgrade():
    op.create_index(
        "ix_allowance_line_run_order", "allowance_line", COLUMNS, unique=False, postgresql_include=["part_district_id"]
    )


def downgrade():
    op.drop_index("ix_allowance_line_run_order", table_name="allowance_line")
