"""The finance API (issue #14): its clients (a token's SHA-256, scope, districts, expiry, revocation)
and the record of every call.

Revision ID: f6d6945dda1a
Revises: c5e81f2a9d47
Create Date: 2026-12-03 11:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f6d6945dda1a"
down_revision = "c5e81f2a9d47"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_prefix", sa.String(length=12), nullable=False),
        sa.Column("scope", sa.Enum("read", "read_returns", name="apiscope", native_enum=False, length=16), nullable=False),
        sa.Column("full_ids", sa.Boolean(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], name=op.f("fk_api_client_created_by_user"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["revoked_by"], ["user.id"], name=op.f("fk_api_client_revoked_by_user"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_client")),
        sa.UniqueConstraint("name", name=op.f("uq_api_client_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_client_token_hash")),
    )
    op.create_table(
        "api_client_district",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["api_client.id"], name=op.f("fk_api_client_district_client_id_api_client"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["district_id"], ["district.id"], name=op.f("fk_api_client_district_district_id_district"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "district_id", name=op.f("pk_api_client_district")),
    )
    op.create_table(
        "api_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("route", sa.String(length=120), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["api_client.id"], name=op.f("fk_api_call_client_id_api_client"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_call")),
    )
    op.create_index("ix_api_call_client_at", "api_call", ["client_id", "at"], unique=False)


def downgrade():
    op.drop_index("ix_api_call_client_at", table_name="api_call")
    op.drop_table("api_call")
    op.drop_table("api_client_district")
    op.drop_table("api_client")
