"""Training: a course records who created it (a district coordinator edits only their own courses).

Revision ID: 3b7d2e91c4a6
Revises: cc14f87ae97a
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7d2e91c4a6'
down_revision = 'cc14f87ae97a'
branch_labels = None
depends_on = None


def upgrade():
    # Existing courses keep no creator: they are the city's, edited city-wide.
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_course_created_by_id_user'), 'user', ['created_by_id'], ['id'], ondelete='SET NULL'
        )


def downgrade():
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_course_created_by_id_user'), type_='foreignkey')
        batch_op.drop_column('created_by_id')
