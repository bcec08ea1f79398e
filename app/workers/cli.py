from pathlib import Path

import click
from flask.cli import with_appcontext

from app.core.access import Role, district_scope
from app.core.cli_helpers import act_as, fail, run_file_import
from app.core.timeutil import local_today
from app.extensions import db
from app.workers import education_import, importer
from app.workers.exporter import MIMETYPES, export_workers
from app.workers.queries import WorkerFilter, filtered_workers


class _CityWide:
    """Who an export without --as runs as: every worker, as an admin sees them."""

    role, city_wide, districts, worker_id = Role.admin, True, [], None


@click.group("workers", help="The worker registry.")
def workers_cli():
    pass


@workers_cli.command("import")
@click.argument("file", type=click.Path())
@click.option("--as", "username", default=None, help="User recorded in the audit log.")
@with_appcontext
def import_posts(file, username):
    """Import a posts file (.xlsx or .csv): all rows or none."""
    act_as(username)
    run_file_import(file, lambda name, data: importer.plan_posts_import(name, data, None), importer.apply_posts_import)


@workers_cli.command("import-education")
@click.argument("file", type=click.Path())
@click.option("--as", "username", default=None, help="User recorded in the audit log.")
@with_appcontext
def import_education(file, username):
    """Import an education file (.xlsx or .csv): all rows or none."""
    user = act_as(username)
    scope = district_scope(user) if user else None  # --as a district user: their districts' rows only
    run_file_import(
        file,
        lambda name, data: education_import.plan_education_import(name, data, scope),
        education_import.apply_education_import,
    )


@workers_cli.command("export")
@click.option("-o", "--output", required=True, type=click.Path(), help="A .xlsx or .csv file.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", help="Header language.")
@click.option("--as", "username", default=None, help="User recorded in the audit log; limits to their scope.")
@with_appcontext
def export(output, lang, username):
    """Export every worker's post periods, with full ID numbers (audited)."""
    fmt = Path(output).suffix.lower().lstrip(".")
    if fmt not in MIMETYPES:
        fail(f"{output}: the file name must end in .xlsx or .csv")
    user = act_as(username) or _CityWide()
    content, count = export_workers(filtered_workers(user, WorkerFilter(), local_today()), fmt, lang)
    Path(output).write_bytes(content)
    db.session.commit()
    click.echo(f"{count} rows written to {output}")
