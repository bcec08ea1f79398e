import click
from flask.cli import with_appcontext

from app.core.cli_helpers import act_as, run_file_import
from app.places import importer


@click.group("places", help="Districts, streets and communities.")
def places_cli():
    pass


@places_cli.command("import")
@click.argument("file", type=click.Path())
@click.option("--as", "username", default=None, help="User recorded in the audit log.")
@with_appcontext
def import_places(file, username):
    """Import a places file (.xlsx or .csv): all rows or none."""
    act_as(username)
    run_file_import(file, importer.plan_places_import, importer.apply_places_import)
