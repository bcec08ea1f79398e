"""Allowance: the run's timeline (who computed, submitted, approved, sent back, locked and exported it, and when).

Existing runs get their timeline from the columns they already have (computed, submitted,
approved, locked); exports before this revision are in the audit log only.

Revision ID: 7c4e2a9f1d38
Revises: 5e1a7c3d9b20
Create Date: 2026-12-02 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c4e2a9f1d38'
down_revision = '5e1a7c3d9b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('allowance_run_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('computed', 'submitted', 'approved', 'returned', 'locked', 'exported', name='runeventkind', native_enum=False, length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['allowance_run.id'], name=op.f('fk_allowance_run_event_run_id_allowance_run'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_allowance_run_event_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allowance_run_event'))
    )
    with op.batch_alter_table('allowance_run_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allowance_run_event_run_id'), ['run_id'], unique=False)
    for kind in ('computed', 'submitted', 'approved', 'locked'):
        op.execute(
            f"INSERT INTO allowance_run_event (run_id, kind, user_id, at) "
            f"SELECT id, '{kind}', {kind}_by, {kind}_at FROM allowance_run WHERE {kind}_at IS NOT NULL"
        )


def downgrade():
    with op.batch_alter_table('allowance_run_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allowance_run_event_run_id'))

    op.drop_table('allowance_run_event')
