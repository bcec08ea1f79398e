"""Reports: the director pay floor (issue #15): a community's type (社区 urban / 村 village),
each district's urban per-capita disposable income per year, and directors' monthly pay.

Revision ID: a3b408a1ef75
Revises: b7e3d1a90c52
Create Date: 2026-12-03 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3b408a1ef75'
down_revision = 'b7e3d1a90c52'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('community') as batch:
        batch.add_column(sa.Column('community_type', sa.Enum('urban', 'village', name='communitytype', native_enum=False, length=8), server_default='urban', nullable=False))
    op.create_table('district_income',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('income', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('income > 0', name=op.f('ck_district_income_income_positive')),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_district_income_district_id_district')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_district_income')),
    sa.UniqueConstraint('district_id', 'year', name=op.f('uq_district_income_district_id_year'))
    )
    op.create_index(op.f('ix_district_income_year'), 'district_income', ['year'], unique=False)
    op.create_table('director_pay',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('pay', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('pay >= 0', name=op.f('ck_director_pay_pay_not_negative')),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_director_pay_worker_id_worker'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_director_pay')),
    sa.UniqueConstraint('worker_id', 'month', name=op.f('uq_director_pay_worker_id_month'))
    )
    op.create_index(op.f('ix_director_pay_month'), 'director_pay', ['month'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_director_pay_month'), table_name='director_pay')
    op.drop_table('director_pay')
    op.drop_index(op.f('ix_district_income_year'), table_name='district_income')
    op.drop_table('district_income')
    with op.batch_alter_table('community') as batch:
        batch.drop_column('community_type')
