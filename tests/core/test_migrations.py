from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_the_migrations_create_exactly_what_the_models_describe(app_ctx):
    """A model changed without a migration (or the reverse) fails here."""
    connection = db.session.connection()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
