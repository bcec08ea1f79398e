"""/healthz and /readyz: open to anyone, JSON, 503 when the app cannot serve."""

import os
import tempfile

import pytest

from app import create_app
from tests import services

DEAD_POSTGRES = "postgresql://postgres@127.0.0.1:1/nothing"
DEAD_REDIS = "redis://127.0.0.1:1/0"


def _app(app, **overrides):
    """Another app like the test app, with some settings changed."""
    settings = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], **overrides}
    return create_app("testing", **settings)


def test_healthz_answers_without_sign_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database_with_a_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "broker": "ok"},
    }


def test_readyz_is_503_when_the_database_does_not_answer(app):
    response = _app(app, SQLALCHEMY_DATABASE_URI=DEAD_POSTGRES).test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "unreachable"
    assert "127.0.0.1" not in response.get_data(as_text=True)  # the error stays in the log


@pytest.fixture
def empty_database_url():
    name = f"socialwork_test_empty_{os.getpid()}"
    url = services.postgres_database(name)
    if url:
        yield url
        services.drop_postgres_database(name)
    else:
        yield f"sqlite:///{tempfile.mkdtemp()}/empty.sqlite"


def test_readyz_is_503_until_the_migrations_have_run(app, empty_database_url):
    from flask_migrate import upgrade

    fresh = _app(app, SQLALCHEMY_DATABASE_URI=empty_database_url)
    response = fresh.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "migrations": "not at head", "broker": "ok"}

    with fresh.app_context():
        upgrade()
    assert fresh.test_client().get("/readyz").status_code == 200
    with fresh.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_readyz_is_503_when_the_broker_does_not_answer(app):
    celery = {**app.config["CELERY"], "broker_url": DEAD_REDIS}
    response = _app(app, CELERY=celery).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "migrations": "ok", "broker": "unreachable"}
