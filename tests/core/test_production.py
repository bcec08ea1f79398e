"""Production: the configuration refuses what only suits a laptop, and gunicorn serves the app."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app import create_app

ROOT = Path(__file__).resolve().parents[2]
PG = "postgresql://app:pw@db.internal:5432/socialwork"


@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    return monkeypatch


def test_production_starts_with_a_secret_a_database_and_redis(production_env):
    app = create_app("production", SECRET_KEY="from-the-environment", SQLALCHEMY_DATABASE_URI=PG)
    assert app.config["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without_each_setting(production_env, name):
    production_env.delenv(name)
    with pytest.raises(RuntimeError, match=f"needs {name} in the environment"):
        create_app("production", SECRET_KEY="from-the-environment", SQLALCHEMY_DATABASE_URI=PG)


def test_production_names_every_missing_setting_at_once(monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="needs SECRET_KEY, DATABASE_URL, REDIS_URL in the environment"):
        create_app("production")


def test_production_refuses_sqlite(production_env):
    production_env.setenv("DATABASE_URL", "sqlite:////tmp/socialwork.sqlite")
    with pytest.raises(RuntimeError, match="refuses SQLite"):
        create_app("production", SQLALCHEMY_DATABASE_URI="sqlite:////tmp/socialwork.sqlite")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, attempts: int = 150):
    """The response once the server answers (it needs a moment to start)."""
    for _ in range(attempts):
        try:
            return urllib.request.urlopen(url, timeout=10)
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url}")


@pytest.fixture
def gunicorn_server(app):
    """The Procfile's web line, on the test database."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-only",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "2",
    }
    command = (ROOT / "Procfile").read_text().split("web:", 1)[1].splitlines()[0].split()
    assert command[0] == "gunicorn"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), *command[1:]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_gunicorn_serves_the_sign_in_page_with_threads_and_logs_json(gunicorn_server):
    base, server = gunicorn_server
    _get(f"{base}/healthz")
    request = urllib.request.Request(f"{base}/login", headers={"X-Request-ID": "gunicorn-test-1"})
    response = urllib.request.urlopen(request, timeout=10)
    assert response.status == 200
    assert response.headers.get_all("Server") == ["socialwork"]  # no software named, no second line
    assert response.headers["X-Request-ID"] == "gunicorn-test-1"
    server.terminate()
    lines = [json.loads(line) for line in server.communicate(timeout=60)[0].decode().splitlines()]
    assert any(line["message"] == "Using worker: gthread" for line in lines)
    (logged,) = [line for line in lines if line.get("request_id") == "gunicorn-test-1"]
    assert logged["route"] == "accounts.login" and logged["status"] == 200
    assert not [line for line in lines if line["logger"] == "gunicorn.access"]  # the app's line only
