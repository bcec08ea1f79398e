"""SQLite, the embedded default, shared by the site, the worker and beat.

- WAL, so readers never block the writer and the writer never blocks readers.
- A busy timeout, so a connection that wants the write lock waits for it instead of failing
  with "database is locked".
- Transactions begin deferred (BEGIN), so a page that only reads takes no lock at all. But SQLite
  cannot turn a read transaction into a write transaction while another connection writes, or
  once another has written since it began: it answers "database is locked" at once, without
  waiting. So the first write (or savepoint) of a transaction ends its read snapshot, which has
  written nothing, and starts again with BEGIN IMMEDIATE, which does wait. The reads before and
  the writes after are then not one snapshot: the guarantee PostgreSQL's READ COMMITTED gives,
  which is what the application runs under there.
- Foreign keys on.

pysqlite also starts transactions lazily and mishandles SAVEPOINT; as SQLAlchemy's docs advise,
the driver's own transaction handling is turned off and BEGIN is emitted explicitly. This is
done for the application's engine only: Celery's embedded broker and result store keep kombu's
and Celery's own transaction handling, with the same wait (celery_options).
"""

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_SECONDS = 30
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER")
_WRITING = "sqlite_writing"  # in the connection's info: this transaction holds the write lock


def configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.info[_WRITING] = False
        connection.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "before_cursor_execute")
    def _take_the_write_lock_first(connection, cursor, statement, _parameters, context, _executemany):
        if connection.info.get(_WRITING, True) or not _writes(statement, context):
            return
        connection.info[_WRITING] = True
        raw = cursor.connection
        if raw.in_transaction:
            raw.execute("COMMIT")  # only reads so far: nothing is lost
        raw.execute("BEGIN IMMEDIATE")


def _writes(statement: str, context) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete or context.isddl):
        return True
    return statement.lstrip()[:10].upper().startswith(_WRITES)


def celery_options(celery_config: dict) -> dict:
    """Engine options for Celery's embedded SQLite broker and result store: the same wait for a
    lock as the application's own connections (pysqlite's `timeout` is SQLite's busy timeout)."""
    wait = {"connect_args": {"timeout": BUSY_TIMEOUT_SECONDS}}
    options = {}
    if str(celery_config.get("broker_url", "")).startswith("sqla+sqlite"):
        options["broker_transport_options"] = {**wait, **celery_config.get("broker_transport_options", {})}
    if str(celery_config.get("result_backend", "")).startswith("db+sqlite"):
        options["database_engine_options"] = {**wait, **celery_config.get("database_engine_options", {})}
    return options
