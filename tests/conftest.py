"""The database is created once per test session (by the migrations); each test runs in a
transaction that is rolled back, so tests never see each other's data."""

import os
import tempfile

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import scoped_session, sessionmaker

from tests import services

_TMP = tempfile.mkdtemp(prefix="socialwork-tests-")
os.environ.setdefault("INSTANCE_PATH", _TMP)


def _database_url() -> str:
    if os.environ.get("TEST_DATABASE_URL"):
        return os.environ["TEST_DATABASE_URL"]
    url = services.postgres_database("socialwork_test")
    if url:
        return url
    if services.services_required():
        pytest.exit("PostgreSQL is required (REQUIRE_SERVICES=1) but is not reachable", returncode=3)
    return f"sqlite:///{_TMP}/test.sqlite"


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    from app import create_app

    url = _database_url()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=f"{_TMP}/uploads")
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(autouse=True)
def _rollback(request, app):
    """Run each test inside a transaction that is rolled back; commits become savepoints."""
    if request.node.get_closest_marker("no_db_transaction"):
        yield
        return
    from app.extensions import db, limiter

    limiter.reset()
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def db(app):
    from app.extensions import db

    return db


@pytest.fixture
def app_ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


def pytest_configure(config):
    config.addinivalue_line("markers", "no_db_transaction: the test manages its own database")
    config.addinivalue_line("markers", "browser: drives a real chromium")


def dialect(app) -> str:
    return sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
