"""Exams: each review-queue row records who imported it, and is unique per importer (issue #10).

Revision ID: 5e1c9a7d2b40
Revises: 7c4e2a9f1d38
Create Date: 2026-12-02 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1c9a7d2b40'
down_revision = '7c4e2a9f1d38'
branch_labels = None
depends_on = None


def upgrade():
    # Rows already queued keep no importer: only city-wide users see them.
    with op.batch_alter_table('review_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_review_item_imported_by_user'), 'user', ['imported_by'], ['id'], ondelete='SET NULL'
        )
        batch_op.create_index(batch_op.f('ix_review_item_imported_by'), ['imported_by'], unique=False)
        batch_op.drop_constraint(batch_op.f('uq_review_item_kind_id_number_key'), type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_review_item_kind_id_number_key_imported_by'), ['kind', 'id_number', 'key', 'imported_by']
        )


def downgrade():
    with op.batch_alter_table('review_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_review_item_kind_id_number_key_imported_by'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_review_item_kind_id_number_key'), ['kind', 'id_number', 'key'])
        batch_op.drop_index(batch_op.f('ix_review_item_imported_by'))
        batch_op.drop_constraint(batch_op.f('fk_review_item_imported_by_user'), type_='foreignkey')
        batch_op.drop_column('imported_by')
