import sys

import click
from flask.cli import with_appcontext

from app.accounts import services
from app.core.access import Role
from app.core.cli_helpers import fail
from app.core.services import ServiceError
from app.extensions import db


@click.group("users", help="Manage user accounts.")
def users_cli():
    pass


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--district", "districts", multiple=True, help="District code (repeat for several).")
@click.option("--city-wide", is_flag=True, help="Coordinator or payroll user for the whole city.")
@click.option("--id-number", help="For a worker account: the worker's ID number.")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user(username, role, districts, city_wide, id_number, display_name, email, password_stdin):
    """Create a user. Without --password-stdin the password is asked for twice."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(
            username, Role(role), password, display_name, email, list(districts), city_wide, id_number
        )
    except ServiceError as exc:
        db.session.rollback()
        fail(f"{username}: {exc.message}")
    db.session.commit()
    click.echo(f"created {user.username} ({user.role.value})")
