"""Accounts: a session version (bumped to end every session of a user) and a calendar version
(bumped to replace the calendar feed's address).

Revision ID: 5e1a7c3d9b20
Revises: 3b7d2e91c4a6
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1a7c3d9b20'
down_revision = '3b7d2e91c4a6'
branch_labels = None
depends_on = None


def upgrade():
    # Cookies issued before this revision carry no version and stop working: everyone signs in once more.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('calendar_version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('calendar_version')
        batch_op.drop_column('session_version')
