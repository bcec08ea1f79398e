"""`flask backup create|list|restore`, and the nightly backup that beat runs (app/core/schedule.py).

Both call app/core/backup.py with the app's settings: the database is SQLALCHEMY_DATABASE_URI,
the folder BACKUP_DIR, the number kept BACKUP_KEEP. The nightly task runs on a Celery worker:
BACKUP_DIR is a folder of the worker's host (mount the backup volume there).
"""

import logging

import click
from celery import shared_task
from flask import current_app
from flask.cli import with_appcontext

from app.core import backup
from app.core.cli_helpers import fail

log = logging.getLogger(__name__)


def _settings() -> tuple[str, str, int, str]:
    config = current_app.config
    return config["SQLALCHEMY_DATABASE_URI"], config["BACKUP_DIR"], int(config["BACKUP_KEEP"]), config["BACKUP_PG_BIN"]


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


@click.group("backup", help="Back the database up, list the backups, restore one into a database.")
def backup_cli():
    pass


@backup_cli.command("create")
@with_appcontext
def create_command():
    """Back the database up into BACKUP_DIR and keep the BACKUP_KEEP newest."""
    url, folder, keep, pg_bin = _settings()
    try:
        made, removed = backup.create(url, folder, keep, pg_bin)
    except backup.BackupError as exc:
        fail(f"backup failed: {exc}")
    click.echo(f"{made.path} ({_size(made.size)})")
    for path in removed:
        click.echo(f"removed {path.name} (BACKUP_KEEP={keep})")


@backup_cli.command("list")
@with_appcontext
def list_command():
    """The backups in BACKUP_DIR, newest first: name, time taken (UTC), size."""
    _url, folder, _keep, _pg_bin = _settings()
    backups = backup.list_backups(folder)
    if not backups:
        click.echo(f"no backups in {folder}")
    for item in backups:
        click.echo(f"{item.path.name}\t{item.taken_at:%Y-%m-%d %H:%M:%S} UTC\t{_size(item.size)}")


@backup_cli.command("restore")
@click.argument("name")
@click.option("--into", "into_url", required=True, help="URL of the (new, empty) database to restore into.")
@click.option("--force-live", is_flag=True, help="Allow --into to be the live database, replacing its data.")
@with_appcontext
def restore_command(name, into_url, force_live):
    """Restore the backup NAME (a file in BACKUP_DIR, or a path) into the database --into."""
    url, folder, _keep, pg_bin = _settings()
    try:
        backup.restore(backup.find(folder, name), into_url, url, force_live=force_live, pg_bin=pg_bin)
    except backup.BackupError as exc:
        fail(f"restore refused: {exc}")
    click.echo(f"restored {name} into {backup.make_url(into_url).render_as_string(hide_password=True)}")


@shared_task(name="core.backup_database")
def backup_database() -> str:
    """The nightly backup (beat); the outcome and the file go to the log."""
    url, folder, keep, pg_bin = _settings()
    made, removed = backup.create(url, folder, keep, pg_bin)
    log.info("backup made", extra={"file": made.path.name, "bytes": made.size, "removed": [p.name for p in removed]})
    return made.path.name
