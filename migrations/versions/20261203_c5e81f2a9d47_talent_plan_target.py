"""Reports: the talent plan's target (issue #15), one row an admin changes; 10,000 to start.

Revision ID: c5e81f2a9d47
Revises: a3b408a1ef75
Create Date: 2026-12-03 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e81f2a9d47'
down_revision = 'a3b408a1ef75'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('talent_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('target > 0', name=op.f('ck_talent_plan_target_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talent_plan'))
    )
    op.execute(table.insert().values(name='社区工作者人才培养计划', target=10000,
                                     created_at=sa.func.current_timestamp(), updated_at=sa.func.current_timestamp()))


def downgrade():
    op.drop_table('talent_plan')
