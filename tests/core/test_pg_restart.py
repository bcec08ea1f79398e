"""PostgreSQL restarted (issue #13, Outages): the site recovers without a restart of its own.

The shared PostgreSQL server is never stopped: a separate admin connection terminates every
backend of the test's own database, which is what a restart does to the app's pooled
connections. With pool_pre_ping (config.py) the next request checks its connection out, finds
it dead, opens a new one and answers 200; without it, that request fails.
"""

import os

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from app.core.access import Role
from app.extensions import db
from tests import factories as f
from tests import services as test_services

pytestmark = pytest.mark.no_db_transaction

TERMINATE = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


@pytest.fixture(scope="module")
def database_url():
    from flask_migrate import upgrade  # the app is built per test below; the schema once here

    from app import create_app

    url = test_services.postgres_database(f"socialwork_pgrestart_{os.getpid()}")
    if url is None:
        if test_services.services_required():
            pytest.fail("PostgreSQL is required (REQUIRE_SERVICES=1) but is not reachable", pytrace=False)
        pytest.skip("terminating backends needs PostgreSQL")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        f.user(Role.admin, "pg_admin")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    yield url
    test_services.drop_postgres_database(sa.engine.make_url(url).database)


def _terminate_backends(url: str) -> int:
    """From a connection of its own (the admin's psql), end every other backend of the database."""
    admin = sa.create_engine(url, poolclass=NullPool)
    try:
        with admin.connect() as connection:
            return connection.scalar(sa.text(TERMINATE))
    finally:
        admin.dispose()


@pytest.fixture
def make_app(database_url, app):
    """An app on the test's own database (its own connection pool), as the site runs it."""
    from app import create_app  # the session's app is bound again afterwards (Celery's default)

    built = []

    def make(**overrides):
        built.append(create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, **overrides))
        return built[-1]

    yield make
    for one in built:
        with one.app_context():
            db.session.remove()
            db.engine.dispose()
    app.extensions["celery"].set_default()


def _signed_in(site):
    client = site.test_client()
    f.login(client, "pg_admin")
    assert client.get("/").status_code == 200  # the pool now holds the connection it used
    return client


def test_the_site_answers_the_next_request_after_postgresql_dropped_its_connections(make_app, database_url):
    site = make_app()
    assert site.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    client = _signed_in(site)
    assert _terminate_backends(database_url) >= 1  # the app's pooled connection went
    assert client.get("/").status_code == 200
    assert client.get("/admin/system").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"]["database"] == "ok"


def test_a_task_runs_after_postgresql_dropped_its_connections(make_app, database_url):
    """A Celery worker's pool is the same engine with the same options: its next task runs."""
    site = make_app()
    apply_import = site.extensions["celery"].tasks["core.apply_import"]
    assert apply_import.apply(args=[999_999]).get() == "missing"  # read the database; the pool keeps the connection
    assert _terminate_backends(database_url) >= 1
    assert apply_import.apply(args=[999_999]).get() == "missing"


def test_without_pre_ping_that_request_would_fail(make_app, database_url):
    """The control: the same fault, on an app whose pool does not ping, costs a request."""
    site = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False})
    client = _signed_in(site)
    assert _terminate_backends(database_url) >= 1
    try:
        failed = client.get("/").status_code >= 500
    except sa.exc.DBAPIError:  # the test client lets the error through
        failed = True
    assert failed
