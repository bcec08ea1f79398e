"""Reports: education per worker (学历, with the date obtained) and terms (届) of the 两委.

Revision ID: 827673efb61e
Revises: 5e1c9a7d2b40
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '827673efb61e'
down_revision = '5e1c9a7d2b40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('education',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('junior', 'senior_secondary', 'college', 'bachelor', 'postgraduate', name='educationlevel', native_enum=False, length=20), nullable=False),
    sa.Column('obtained_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_education_worker_id_worker'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_education')),
    sa.UniqueConstraint('worker_id', 'level', name=op.f('uq_education_worker_id_level'))
    )
    op.create_table('term',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('elected_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_term')),
    sa.UniqueConstraint('elected_on', name=op.f('uq_term_elected_on')),
    sa.UniqueConstraint('name', name=op.f('uq_term_name'))
    )


def downgrade():
    op.drop_table('term')
    op.drop_table('education')
