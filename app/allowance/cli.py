import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from app.allowance import compute, parallel, queries, services
from app.allowance.exporter import export_run
from app.allowance.models import AllowanceLine
from app.allowance.rules import Month
from app.core.cli_helpers import act_as, fail
from app.core.identity import InvalidIdentity, parse_id_number
from app.core.services import ServiceError
from app.exams.levels import LEVEL_ALIASES
from app.extensions import db
from app.workers.models import Worker


@click.group("allowance", help="The monthly professional allowance.")
def allowance_cli():
    pass


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError:
        fail(f"“{text}” is not a month in the form YYYY-MM")


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{name}: “{text}” is not a date in the form YYYY-MM-DD")


def _service(fn, *args):
    try:
        result = fn(*args)
    except ServiceError as exc:
        db.session.rollback()
        fail(exc.message)
    db.session.commit()
    return result


@allowance_cli.command("set-rate")
@click.argument("level")
@click.argument("amount")
@click.option("--from", "valid_from", required=True, help="YYYY-MM-DD")
@click.option("--to", "valid_to", default=None, help="YYYY-MM-DD (open-ended without)")
@click.option("--district", default=None, help="District code (city-wide without)")
@click.option("--as", "username", default=None)
@with_appcontext
def set_rate(level, amount, valid_from, valid_to, district, username):
    """Add a rate row for a level (local, assistant, intermediate, senior or the Chinese name)."""
    act_as(username)
    lv = LEVEL_ALIASES.get(level)
    if lv is None:
        fail(f"{level}: unknown level (local, assistant, intermediate, senior)")
    try:
        value = Decimal(amount)
    except InvalidOperation:
        fail(f"{amount}: not an amount")
    rate = _service(services.set_rate, lv, value, _date(valid_from, "--from"), _date(valid_to, "--to"), district)
    click.echo(f"rate #{rate.id}: {lv.value} {rate.amount} from {rate.valid_from}")


@allowance_cli.command("hold")
@click.argument("id_number")
@click.argument("month")
@click.option("--reason", required=True)
@click.option("--as", "username", default=None)
@with_appcontext
def hold(id_number, month, reason, username):
    """Hold a worker's allowance for a month (the line stays, with amount 0 and the reason)."""
    act_as(username)
    try:
        number = parse_id_number(id_number).number
    except InvalidIdentity as exc:
        fail(f"{id_number}: {exc}")
    worker_id = db.session.scalar(sa.select(Worker.id).where(Worker.id_number == number))
    if worker_id is None:
        fail(f"{id_number}: no such worker in the registry")
    _service(services.add_hold, worker_id, _month(month), reason)
    click.echo(f"held {number} for {month}")


@allowance_cli.command("compute")
@click.argument("month")
@click.option("--as", "username", default=None)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="PostgreSQL: connections computing groups of districts at once (default: ALLOWANCE_COMPUTE_JOBS).",
)
@with_appcontext
def compute_command(month, username, jobs):
    """Compute (or recompute) a month's draft in this process: set-based statements on PostgreSQL
    (several connections at once, --jobs), district by district elsewhere."""
    user = act_as(username)
    m = _month(month)
    run, districts = _service(services.start_compute, m, user.id if user else None)
    db.session.commit()
    jobs = jobs or current_app.config["ALLOWANCE_COMPUTE_JOBS"]
    if sys.stdout.isatty():  # DOMAIN.md: long work shows a progress bar in a terminal
        with click.progressbar(length=len(districts), label=f"{m}") as bar:
            _compute(run.id, jobs, bar.update)
    else:
        _compute(run.id, jobs, None)
    db.session.commit()
    services.finish_if_complete(run.id)
    db.session.commit()
    count, total, paid = queries.grand_total(sa.select(AllowanceLine).where(AllowanceLine.run_id == run.id))
    click.echo(f"{m}: {count} lines, {paid} with an amount, total {total:.2f}")


def _compute(run_id: int, jobs: int, progress) -> None:
    if jobs > 1 and compute.implementation() == "sql":
        parallel.compute_month(run_id, jobs, progress)
    else:
        compute.compute_month(run_id, progress=progress)


def _transition(name, fn):
    @click.argument("month")
    @click.option("--as", "username", required=True, help="The payroll officer doing it.")
    @with_appcontext
    def command(month, username):
        user = act_as(username)
        run = queries.run_for(_month(month))
        if run is None:
            fail(f"{month}: no run; compute it first")
        _service(fn, run, user.id)
        click.echo(f"{month}: {run.state.value}")

    command.__doc__ = f"{name.capitalize()} a month's run."
    allowance_cli.command(name)(command)


_transition("submit", services.submit)
_transition("approve", services.approve)
_transition("lock", services.lock)


@allowance_cli.command("export")
@click.argument("month")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), required=True)
@click.option("-o", "--output", required=True, type=click.Path())
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", help="Header language.")
@click.option("--as", "username", default=None)
@with_appcontext
def export(month, fmt, output, lang, username):
    """Export a month: XLSX with subtotals for finance (a run not yet locked: marked, for checking);
    CSV lines for the bank (a locked run only)."""
    user = act_as(username)
    run = queries.run_for(_month(month))
    if run is None:
        fail(f"{month}: no run; compute it first")
    made_by = (user.display_name or user.username) if user else "flask allowance export"
    query = sa.select(AllowanceLine).where(AllowanceLine.run_id == run.id)
    try:
        content, digest = export_run(query, run, fmt, lang, made_by, user.id if user else None)
    except ServiceError as exc:
        db.session.rollback()
        fail(exc.message)
    Path(output).write_bytes(content)
    db.session.commit()  # the audit entry, once the file is written
    click.echo(f"{output}: {run.state.value}, sha256 {digest}")
