from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.core.cli_helpers import act_as, fail
from app.core.services import ServiceError
from app.extensions import db
from app.reports import queries, services
from app.reports.exporter import TERM_COLUMNS, export_term, term_rows


@click.group("reports", help="The figures the department reports.")
def reports_cli():
    pass


@reports_cli.command("add-term")
@click.argument("name")
@click.option("--elected", required=True, help="The election date, YYYY-MM-DD.")
@click.option("--as", "username", default=None, help="User recorded in the audit log.")
@with_appcontext
def add_term(name, elected, username):
    """Add a term (届) of the community 两委."""
    act_as(username)
    try:
        elected_on = date.fromisoformat(elected)
    except ValueError:
        fail(f"--elected: “{elected}” is not a date in the form YYYY-MM-DD")
    try:
        services.add_term(name, elected_on)
    except ServiceError as exc:
        db.session.rollback()
        fail(f"{name}: {exc.message}")
    db.session.commit()
    click.echo(f"term {name} (elected {elected_on.isoformat()}) added")


@reports_cli.command("term")
@click.argument("name")
@click.option("-o", "--output", default=None, type=click.Path(), help="A .xlsx or .csv file; else printed.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", help="Header language.")
@click.option("--as", "username", default=None, help="Limit to this user's districts.")
@with_appcontext
def term(name, output, lang, username):
    """The term report: members, share under 50, share with 大专 or higher, by district and in total."""
    fmt = Path(output).suffix.lower().lstrip(".") if output else None
    if output and fmt not in ("xlsx", "csv"):
        fail(f"{output}: the file name must end in .xlsx or .csv")
    found = queries.term_by_name(name)
    if found is None:
        fail(f"no such term: {name}")
    report = queries.term_report(act_as(username) or _CityWide(), found)
    if output:
        Path(output).write_bytes(export_term(report, fmt, lang))
        click.echo(f"{len(report.rows) + 1} rows written to {output}")
        return
    headers = [en if lang == "en" else zh for en, zh in TERM_COLUMNS]
    click.echo("\t".join(headers))
    for row in term_rows(report, lang):
        click.echo("\t".join("" if v is None else str(v) for v in row))


class _CityWide:
    """A command run without --as sees the whole city, as the one who runs it is the operator."""

    role, city_wide, districts, worker_id = None, True, [], None
