"""Where the tests find PostgreSQL, Redis and chromium, and what happens when they are missing.

With REQUIRE_SERVICES=1 (set by .ci/run) a missing service fails the run; otherwise the
suite falls back to SQLite and skips what needs Redis or chromium.
"""

import os
import shutil
import socket

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Each test run uses its own queue, so two runs on one Redis never take each other's tasks.
QUEUE = f"tests-{os.getpid()}"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES") == "1"


def missing(what: str):
    """Fail when services are required, skip otherwise."""
    if services_required():
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but is not available", pytrace=False)
    pytest.skip(f"{what} is not available")


def postgres_database(name: str) -> str | None:
    """A fresh PostgreSQL database URL with this name, or None when PostgreSQL is unreachable."""
    try:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except sa.exc.OperationalError:
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def redis_available() -> bool:
    host, port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


def drop_postgres_database(name: str) -> None:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def start_celery_worker(env: dict, name: str, capture: bool = False, loglevel: str = "WARNING"):
    """A real Celery worker process (solo pool) of this project, for tests that need one."""
    import subprocess
    import sys
    from pathlib import Path

    env = {**env, "CELERY_QUEUE": QUEUE}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.clocked",  # the worker lives on the suite's clock (tests/clock.py)
            "celery",
            "-A",
            "worker.celery_app",
            "worker",
            "--pool=solo",
            f"--loglevel={loglevel}",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{name}-{os.getpid()}@%h",
        ],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if capture else subprocess.DEVNULL,
    )


def send_task(name: str, args: list | None = None) -> None:
    """Send a task by name to this run's queue (as the site or beat would)."""
    from celery import Celery

    Celery(broker=REDIS_URL, set_as_current=False).send_task(name, args=args or [], queue=QUEUE)


def purge_queue() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).delete(QUEUE)
