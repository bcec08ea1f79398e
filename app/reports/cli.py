from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.core.access import district_scope
from app.core.cli_helpers import act_as, fail, run_file_import
from app.core.services import ServiceError
from app.extensions import db
from app.reports import director_pay_import, income_import, pay_floor_exporter, pay_floor_queries, queries, services
from app.reports.exporter import TERM_COLUMNS, export_term, term_rows
from app.reports.pay_floor import parse_month
from app.reports.pay_floor_exporter import TABLES


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


def _scoped_import(file: str, username: str | None, plan_fn, apply_fn) -> None:
    user = act_as(username)
    scope = district_scope(user) if user else None  # --as a district user: their districts' rows only
    run_file_import(file, lambda name, data: plan_fn(name, data, scope), apply_fn)


@reports_cli.command("import-income")
@click.argument("file", type=click.Path())
@click.option("--as", "username", default=None, help="User recorded in the audit log; limits to their districts.")
@with_appcontext
def import_income(file, username):
    """Import district income per year (.xlsx or .csv): all rows or none."""
    _scoped_import(file, username, income_import.plan_income_import, income_import.apply_income_import)


@reports_cli.command("import-director-pay")
@click.argument("file", type=click.Path())
@click.option("--as", "username", default=None, help="User recorded in the audit log; limits to their districts.")
@with_appcontext
def import_director_pay(file, username):
    """Import directors' monthly pay (.xlsx or .csv): all rows or none."""
    _scoped_import(file, username, director_pay_import.plan_pay_import, director_pay_import.apply_pay_import)


@reports_cli.command("pay-floor")
@click.argument("month")
@click.option("-o", "--output", default=None, type=click.Path(), help="A .xlsx or .csv file; else printed.")
@click.option("--table", type=click.Choice(sorted(TABLES)), default="directors", help="Which table.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", help="Header language.")
@click.option("--as", "username", default=None, help="Limit to this user's districts.")
@with_appcontext
def pay_floor(month, output, table, lang, username):
    """The director pay floor of a month (YYYY-MM): each director's pay, floor and shortfall."""
    first = parse_month(month)
    if first is None:
        fail(f"“{month}” is not a month in the form YYYY-MM")
    fmt = Path(output).suffix.lower().lstrip(".") if output else None
    if output and fmt not in ("xlsx", "csv"):
        fail(f"{output}: the file name must end in .xlsx or .csv")
    report = pay_floor_queries.pay_floor_report(act_as(username) or _CityWide(), first, with_trend=table == "trend")
    if output:
        Path(output).write_bytes(pay_floor_exporter.export_table(report, table, fmt, lang))
        db.session.commit()  # the directors' file is logged (full ID numbers)
        click.echo(f"{len(pay_floor_exporter.table_rows(report, table, lang)) + 1} rows written to {output}")
        return
    rows = pay_floor_exporter.table_rows(report, table, lang)
    click.echo("\t".join(en if lang == "en" else zh for en, zh in TABLES[table]))
    for row in rows:
        click.echo("\t".join("" if v is None else str(v) for v in row))
    if table == "directors":
        pay_floor_exporter.log_export(report, "terminal", len(rows))
        db.session.commit()
