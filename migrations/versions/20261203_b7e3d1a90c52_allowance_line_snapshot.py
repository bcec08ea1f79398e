"""Allowance lines (issue #12): a line is a snapshot of its evidence, and only the foreign keys
that protect integrity stay.

The line already copied the level, certificate number, rate, days and formula; it now copies the
district's code and name, the street's name and the community's name too (filled for the lines
already written from today's places), so a locked month reads the same after places are renamed.
The place and rate ids stay as plain references.

Why each foreign key and index goes or stays, measured on the 100,000-worker demo database
(`flask seed-demo --workers 100000`, month 2026-11, 30,161 lines, PostgreSQL 15, 2 cores, the
machine loaded: load average 10-11). Trigger times are from EXPLAIN (ANALYZE, BUFFERS) of the
month statement (app/allowance/sql_month.py), each foreign key being one trigger call per line:

    fk district_id  -> district        209 ms  dropped: the line snapshots the district's code and name
    fk street_id    -> street          312 ms  dropped: the line snapshots the street's name
    fk community_id -> community       210 ms  dropped: the line snapshots the community's name
    fk rate_id      -> allowance_rate  126 ms  dropped: the line snapshots the rate (amount) it used
    fk run_id       -> allowance_run   281 ms  kept: a line belongs to a run (ON DELETE CASCADE discards a draft)
    fk worker_id    -> worker          500 ms  kept: a line pays a worker who must exist

All six foreign keys took 1,648 ms of the 4,759 ms statement; the four dropped ones 857 ms. The
same 30,161 lines inserted again (INSERT ... SELECT from a copy, 5 interleaved rounds, median):
2,000 ms with everything on, 1,010 ms without the four dropped keys and the part index, 218 ms
without any foreign key or secondary index.

    ix_allowance_line_part_district_id  ~144 ms  kept: deleting one district's part of a run (a
                                                 Celery task per district) finds its lines by it
    ix_allowance_line_worker             ~65 ms  kept: rule 7 looks up what was paid for a locked
                                                 month per worker and month (an index lookup per line)

Revision ID: b7e3d1a90c52
Revises: be0d72a512e6
Create Date: 2026-12-02 10:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e3d1a90c52"
down_revision = "be0d72a512e6"
branch_labels = None
depends_on = None

DROPPED = (
    ("fk_allowance_line_district_id_district", "district", "district_id"),
    ("fk_allowance_line_street_id_street", "street", "street_id"),
    ("fk_allowance_line_community_id_community", "community", "community_id"),
    ("fk_allowance_line_rate_id_allowance_rate", "allowance_rate", "rate_id"),
)
SNAPSHOT = (
    ("district_code", 6, "SELECT code FROM district WHERE district.id = allowance_line.district_id"),
    ("district_name", 64, "SELECT name FROM district WHERE district.id = allowance_line.district_id"),
    ("street_name", 64, "SELECT name FROM street WHERE street.id = allowance_line.street_id"),
    ("community_name", 64, "SELECT name FROM community WHERE community.id = allowance_line.community_id"),
)


def upgrade():
    with op.batch_alter_table("allowance_line", schema=None) as batch_op:
        for name, _table, _column in DROPPED:
            batch_op.drop_constraint(name, type_="foreignkey")
        for column, length, _source in SNAPSHOT:
            batch_op.add_column(sa.Column(column, sa.String(length=length), nullable=True))
    sets = ", ".join(f"{column} = ({source})" for column, _length, source in SNAPSHOT)
    op.execute(f"UPDATE allowance_line SET {sets} WHERE district_id IS NOT NULL OR community_id IS NOT NULL")


def downgrade():
    with op.batch_alter_table("allowance_line", schema=None) as batch_op:
        for column, _length, _source in SNAPSHOT:
            batch_op.drop_column(column)
        for name, table, column in DROPPED:
            batch_op.create_foreign_key(name, table, [column], ["id"])
