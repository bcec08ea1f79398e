"""Backup and restore of the bench database through the real CLI (README, "Metrics and backups"):
`flask backup create` into a folder of the bench, then `flask backup restore NAME --into` a new
database (<name>_restored, dropped and created first, dropped again at the end to give its disk
back); every table's row count compared between the two (count(*), exact).

The wall times include the flask command's start (about a second: the app is imported)."""

from pathlib import Path

import sqlalchemy as sa

from bench.scenario import FLASK, PROJECT, prepare_database, safe_url
from bench.timing import BenchError, Result, checked, run_child

MIB = 1024 * 1024


def restored_url(url: str) -> str:
    target = sa.engine.make_url(url)
    return target.set(database=f"{target.database}_restored").render_as_string(hide_password=False)


def run(url: str, env: dict, workdir: Path) -> tuple[list[Result], list[str]]:
    # the app's own module, imported once the bench has set INSTANCE_PATH (config.py reads it)
    from app.core.backup import list_backups

    folder = workdir / "backups"
    env = {**env, "DATABASE_URL": url, "BACKUP_DIR": str(folder), "BACKUP_KEEP": "1"}
    made = checked(run_child([FLASK, "backup", "create"], env, str(PROJECT)), "flask backup create")
    found = list_backups(folder)
    if not found:
        raise BenchError(f"flask backup create wrote no backup into {folder}: {made.output.strip()[-300:]}")
    backup = found[0]
    into = restored_url(url)
    prepare_database(into, reuse=False)  # a new, empty database, as the README says
    try:
        restored = checked(
            run_child([FLASK, "backup", "restore", backup.path.name, "--into", into], env, str(PROJECT)),
            "flask backup restore",
        )
        source, copy = row_counts(url), row_counts(into)
        sizes = database_size(url), database_size(into)
    finally:
        drop_database(into)
    equal = sum(1 for table, n in source.items() if copy.get(table) == n)
    differ = [f"{t}: {n} vs {copy.get(t)}" for t, n in source.items() if copy.get(t) != n]
    notes = [
        f"backup {backup.path.name} ({backup.size:,} bytes, pg_dump custom format) of {safe_url(url)},"
        f" restored into {safe_url(into)} (dropped afterwards); {sum(source.values()):,} rows in"
        f" {len(source)} tables; largest: " + ", ".join(f"{t} {n:,}" for t, n in _largest(source)),
    ]
    if differ:
        notes.append("row counts that differ: " + "; ".join(differ[:10]))
    return [
        Result("flask backup create (pg_dump): wall time", made.seconds, "s"),
        Result("backup file size", backup.size / MIB, "MiB"),
        Result("database size (pg_database_size)", sizes[0] / MIB, "MiB"),
        Result("flask backup restore --into a new database: wall time", restored.seconds, "s"),
        Result("restored database size", sizes[1] / MIB, "MiB"),
        Result(
            "tables with the same row count after the restore",
            equal,
            "tables",
            len(source),
            target_label=f"= {len(source)} tables",
            at_least=True,
        ),
    ], notes


def row_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            return {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar() for t in sorted(tables)}
    finally:
        engine.dispose()


def database_size(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
    finally:
        engine.dispose()


def drop_database(url: str) -> None:
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": target.database},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}"'))
    finally:
        admin.dispose()


def _largest(counts: dict[str, int], n: int = 4) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: -item[1])[:n]
