"""Probes for a load balancer or a process manager, open to anyone and naming no person.

/healthz: the process answers (restart it when it does not).
/readyz:  it can serve: the database answers, its schema is at the migrations' head, and the
          Celery broker accepts a connection (send it no traffic while it answers 503).
A failed check answers a word, never the error (which may name hosts or users); the error
goes to the log.
"""

import logging
from functools import cache

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify

from app.extensions import db, migrate

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    database, migrations = _database_and_migrations()
    checks = {"database": database, "migrations": migrations, "broker": _broker()}
    ready = all(state == "ok" for state in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


def _database_and_migrations() -> tuple[str, str]:
    try:
        with db.engine.connect() as connection:
            # the table alembic keeps its revision in, read directly: alembic's MigrationContext
            # would write two INFO lines to the log on every probe
            current = set()
            if sa.inspect(connection).has_table("alembic_version"):
                current = set(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))
    except Exception:  # whatever the driver raises, the answer is 503, not 500
        log.warning("readyz: the database does not answer", exc_info=True)
        return "unreachable", "unknown"
    if current != _script_heads(migrate.directory):
        log.warning(
            "readyz: the database is at %s, the code expects %s", sorted(current), _script_heads(migrate.directory)
        )
        return "ok", "not at head"
    return "ok", "ok"


@cache
def _script_heads(directory: str) -> set[str]:
    """The revisions this code expects (read once: they change only with a new release)."""
    return set(ScriptDirectory.from_config(migrate.get_config(directory)).get_heads())


def _broker() -> str:
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as connection:
            connection.connect()  # once, no retries: a probe answers quickly
    except Exception:  # kombu and the transports raise many kinds; the answer is 503 for all
        log.warning("readyz: the Celery broker does not answer", exc_info=True)
        return "unreachable"
    return "ok"
