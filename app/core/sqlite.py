"""SQLite, the embedded default, shared by the site, the worker and beat: WAL so readers never
block the writer, a busy timeout instead of "database is locked", and foreign keys on.

pysqlite also starts transactions lazily and mishandles SAVEPOINT; as SQLAlchemy's docs advise,
the driver's own transaction handling is turned off and BEGIN is emitted explicitly. This is
done for the application's engine only: Celery's embedded broker keeps kombu's own settings.
"""

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")
