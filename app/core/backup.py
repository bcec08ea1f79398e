"""Backups of the whole database, and restoring one into a database (`flask backup`, app/core/backup_cli.py).

PostgreSQL: pg_dump's custom format (compressed; pg_restore reads it), made by the client tools
of the server's major version or newer (BACKUP_PG_BIN names their folder when PATH has others).
SQLite: a copy made with SQLite's online backup API (consistent while the site writes).

Files are named after the UTC time they were taken, socialwork-20261202T013000Z.dump (or
.sqlite), in BACKUP_DIR; a file is written under a .partial name and renamed once complete, so
a file with the final name is always whole. After each backup only the BACKUP_KEEP newest stay.

A restore goes into the database named by its URL, which must exist and be empty (no tables):
the live database is refused unless the operator says --force-live, and then the restore
replaces it in one transaction (PostgreSQL) or copies over it (SQLite).
"""

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from app.core.timeutil import utcnow

_NAME = re.compile(r"socialwork-(\d{8}T\d{6}Z)\.(dump|sqlite)")
_STAMP = "%Y%m%dT%H%M%SZ"
_SUFFIX = {"postgresql": "dump", "sqlite": "sqlite"}
_KIND_OF_SUFFIX = {suffix: kind for kind, suffix in _SUFFIX.items()}
_VERSION = re.compile(r"\(PostgreSQL\) (\d+)")


class BackupError(Exception):
    """Why a backup or a restore cannot go on, in words for the operator (never a password)."""


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime
    kind: str  # postgresql or sqlite
    size: int

    @classmethod
    def of(cls, path: Path) -> "Backup | None":
        match = _NAME.fullmatch(path.name)
        if not match or not path.is_file():
            return None
        taken_at = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
        return cls(path, taken_at, _KIND_OF_SUFFIX[match.group(2)], path.stat().st_size)


def backup_name(kind: str, now: datetime) -> str:
    return f"socialwork-{now.astimezone(UTC):{_STAMP}}.{_SUFFIX[kind]}"


def list_backups(directory: str | Path) -> list[Backup]:
    """The backups in the folder, newest first (other files are not ours and are left alone)."""
    folder = Path(directory)
    found = [Backup.of(p) for p in folder.iterdir()] if folder.is_dir() else []
    return sorted((b for b in found if b), key=lambda b: b.taken_at, reverse=True)


def prune(directory: str | Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest backups; returns what was deleted."""
    if keep < 1:
        raise BackupError(f"BACKUP_KEEP must be at least 1 (it is {keep}).")
    old = [b.path for b in list_backups(directory)[keep:]]
    for path in old:
        path.unlink()
    return old


def kind_of(url: URL) -> str:
    kind = url.get_backend_name()
    if kind not in _SUFFIX:
        raise BackupError(f"backups are made of PostgreSQL and SQLite databases, not {kind}.")
    return kind


def create(database_url: str, directory: str | Path, keep: int, pg_bin: str = "") -> tuple[Backup, list[Path]]:
    """Back the database up into the folder, then prune; returns the backup and the files deleted."""
    url = make_url(database_url)
    kind = kind_of(url)
    if keep < 1:
        raise BackupError(f"BACKUP_KEEP must be at least 1 (it is {keep}).")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / backup_name(kind, utcnow())
    if target.exists():
        raise BackupError(f"{target.name} already exists: one backup per second at most.")
    partial = target.with_name(target.name + ".partial")
    try:
        if kind == "postgresql":
            _pg_dump(url, partial, pg_bin)
        else:
            _sqlite_copy(_sqlite_path(url, must_exist=True), partial)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return Backup.of(target), prune(folder, keep)


def find(directory: str | Path, name: str) -> Path:
    """A backup named in the folder, or a path to one anywhere."""
    for candidate in (Path(directory) / name, Path(name)):
        if candidate.is_file():
            return candidate
    raise BackupError(f"no backup {name!r} in {directory} (see `flask backup list`), nor such a file.")


def restore(path: Path, into_url: str, live_url: str, force_live: bool = False, pg_bin: str = "") -> None:
    """Restore the backup into the database at `into_url` (see the module's docstring)."""
    match = _NAME.fullmatch(path.name)
    if not match or not path.is_file():
        raise BackupError(f"{path} is not a backup of this site (socialwork-<UTC time>.dump or .sqlite).")
    into = make_url(into_url)
    kind, wanted = kind_of(into), _KIND_OF_SUFFIX[match.group(2)]
    if kind != wanted:
        raise BackupError(f"{path.name} is a {wanted} backup; it cannot be restored into a {kind} database.")
    live = same_database(into, make_url(live_url))
    if live and not force_live:
        raise BackupError(
            "--into names the live database: restore into a new database and switch DATABASE_URL to it,"
            " or say --force-live to replace the live data."
        )
    if not live and table_names(into):
        raise BackupError("the target database already has tables: restore into a new, empty database.")
    if kind == "postgresql":
        _pg_restore(path, into, pg_bin, clean=live)
    else:
        _sqlite_restore(path, _sqlite_path(into, must_exist=False))


def same_database(a: URL, b: URL) -> bool:
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return bool(a.database) and bool(b.database) and Path(a.database).resolve() == Path(b.database).resolve()
    return (a.host or "localhost", a.port or 5432, a.database) == (b.host or "localhost", b.port or 5432, b.database)


def table_names(url: URL) -> list[str]:
    """The tables of the database at the URL; BackupError when it cannot be reached."""
    if url.get_backend_name() == "sqlite" and not Path(_sqlite_path(url, must_exist=False)).exists():
        return []
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return sa.inspect(connection).get_table_names()
    except sa.exc.OperationalError as exc:
        raise BackupError(f"cannot open the database {url.database}: {_first_line(exc.orig)}") from exc
    finally:
        engine.dispose()


def _first_line(error) -> str:
    return (str(error).strip().splitlines() or ["unknown error"])[0]


# ---- SQLite ----


def _sqlite_path(url: URL, must_exist: bool) -> str:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("the SQLite database is in memory (or a URI): there is no file to back up or restore into.")
    if must_exist and not Path(url.database).is_file():
        raise BackupError(f"no SQLite database at {url.database}.")
    return url.database


def _sqlite_copy(source: str, target: Path) -> None:
    """SQLite's online backup: a consistent copy even while others write."""
    src = sqlite3.connect(Path(source).resolve().as_uri() + "?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _sqlite_restore(path: Path, target: str) -> None:
    try:
        check = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            verdict = check.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            check.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path.name} is not a readable SQLite database: {exc}") from exc
    if verdict != "ok":
        raise BackupError(f"{path.name} is damaged (SQLite's integrity check: {verdict}).")
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    _sqlite_copy(str(path), Path(target))


# ---- PostgreSQL ----


def pg_tool(name: str, pg_bin: str = "") -> str:
    found = str(Path(pg_bin) / name) if pg_bin else shutil.which(name)
    if not found or not Path(found).is_file():
        raise BackupError(
            f"{name} not found{' in ' + pg_bin if pg_bin else ' on PATH'}: install the PostgreSQL client of"
            " the server's major version (e.g. apt install postgresql-client-15) or set BACKUP_PG_BIN."
        )
    return found


def tool_major(tool: str) -> int:
    # an argument list, no shell; the tool is found on PATH or in BACKUP_PG_BIN, set by the operator
    output = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S603
    match = _VERSION.search(output)
    if not match:
        raise BackupError(f"{tool} --version did not name a PostgreSQL version: {output.strip()!r}")
    return int(match.group(1))


def server_major(url: URL) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(sa.text("SHOW server_version_num"))) // 10000
    except sa.exc.OperationalError as exc:
        raise BackupError(f"cannot reach the database {url.database}: {_first_line(exc.orig)}") from exc
    finally:
        engine.dispose()


def _checked_tool(name: str, url: URL, pg_bin: str) -> str:
    """The tool, when its major version is the server's or newer (an older one cannot read it)."""
    tool = pg_tool(name, pg_bin)
    mine, server = tool_major(tool), server_major(url)
    if mine < server:
        raise BackupError(
            f"{tool} is PostgreSQL {mine}, the server is {server}: use the client tools of version {server}"
            f" (e.g. BACKUP_PG_BIN=/usr/lib/postgresql/{server}/bin)."
        )
    return tool


def _libpq(url: URL) -> tuple[str, dict]:
    """The connection URI without its password, and the environment that carries it (a
    password on the command line would show in `ps`)."""
    env = {"PGPASSWORD": url.password} if url.password else {}
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(command: list[str], env: dict, what: str) -> None:
    # the tools also read PGSSLMODE, PGPASSFILE and the like from the environment, as psql does
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line][-5:]
        raise BackupError(f"{what} failed (exit {done.returncode}): " + " / ".join(lines))


def _pg_dump(url: URL, target: Path, pg_bin: str) -> None:
    tool = _checked_tool("pg_dump", url, pg_bin)
    uri, env = _libpq(url)
    _run([tool, "--format=custom", "--file", str(target), "--dbname", uri], env, "pg_dump")


def _pg_restore(path: Path, into: URL, pg_bin: str, clean: bool) -> None:
    tool = _checked_tool("pg_restore", into, pg_bin)
    _run([tool, "--list", str(path)], {}, f"reading {path.name} (is it a pg_dump archive?)")
    uri, env = _libpq(into)
    command = [tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname", uri]
    if clean:
        command += ["--clean", "--if-exists"]
    _run([*command, str(path)], env, "pg_restore")
