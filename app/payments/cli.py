from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from app.allowance.rules import Month
from app.core.access import district_scope
from app.core.cli_helpers import act_as, fail, run_file_import
from app.core.services import ServiceError
from app.extensions import db
from app.payments import bank_template_services, queries, services, statement_pdf, statements
from app.payments.bankfile import export_batch
from app.payments.importer import apply_account_import, plan_account_import
from app.payments.models import Outcome, PaymentLine
from app.payments.returns import apply_return, plan_return


@click.group("payments", help="Paying the allowance: bank accounts, payment batches, the bank file, bank returns.")
def payments_cli():
    pass


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError:
        fail(f"“{text}” is not a month in the form YYYY-MM")


@payments_cli.command("import-accounts")
@click.argument("file")
@click.option("--as", "username", default=None, help="Limit to this user's districts; recorded in the audit log.")
@with_appcontext
def import_accounts(file, username):
    """Import the bank accounts file (all or nothing)."""
    user = act_as(username)
    scope = district_scope(user) if user else None
    run_file_import(file, lambda name, data: plan_account_import(name, data, scope), apply_account_import)


@payments_cli.command("batch")
@click.argument("month")
@click.option("--as", "username", required=True, help="The city-wide payroll officer making it.")
@with_appcontext
def batch(month, username):
    """Make a locked month's payment batch; prints paid, carried and the exceptions."""
    user = act_as(username)
    m = _month(month)
    try:
        made = services.make_batch(m, user)
    except ServiceError as exc:
        db.session.rollback()
        fail(f"{month}: {exc.message}")
    db.session.commit()
    lines = sa.select(PaymentLine).where(PaymentLine.batch_id == made.id)
    t = queries.totals(lines)
    click.echo(f"{m}: {t.workers} workers, lines {t.lines:.2f}, carried in {t.carried_in:.2f}")
    click.echo(f"paid: {t.payments} payments, {t.paid:.2f}")
    click.echo(f"carried: deductions {t.deductions:.2f}, payable {t.payable:.2f}")
    click.echo(f"exceptions: {t.exceptions}")
    for line in db.session.scalars(lines.where(PaymentLine.outcome == Outcome.no_account).order_by(PaymentLine.id)):
        click.echo(f"  {line.id_number} {line.holder_name} {line.carried_out:.2f}: no valid bank account")
    click.echo(f"reconciles: lines + carried in = paid + carried ({'yes' if t.reconciles else 'NO'})")


@payments_cli.command("import-return")
@click.argument("month")
@click.argument("file")
@click.option("--as", "username", default=None, help="User recorded in the audit log.")
@with_appcontext
def import_return(month, file, username):
    """Import the bank's return file of a month's batch: each payment paid (成功) or returned (失败)."""
    act_as(username)
    made = queries.batch_for(_month(month))
    if made is None:
        fail(f"{month}: no payment batch; make it first with `flask payments batch`")
    counts = run_file_import(file, lambda name, data: plan_return(made, name, data), apply_return)
    click.echo(f"{month}: paid {counts['paid']}, returned {counts['returned']}, already recorded {counts['unchanged']}")


@payments_cli.command("export")
@click.argument("month")
@click.option("-o", "--output", required=True, type=click.Path())
@click.option(
    "--template", "template_name", default=None, help="The bank file template's name (default: the default one)."
)
@click.option("--as", "username", default=None, help="User recorded in the audit log.")
@with_appcontext
def export(month, output, template_name, username):
    """Write a batch's bank file, laid out by a template (the default: CSV, GB18030)."""
    act_as(username)
    made = queries.batch_for(_month(month))
    if made is None:
        fail(f"{month}: no payment batch; make it first with `flask payments batch`")
    template = None
    if template_name is not None:
        template = bank_template_services.template_named(template_name)
        if template is None:
            names = ", ".join(t.name for t in bank_template_services.templates())
            fail(f"{template_name}: no bank file template has this name; the templates are: {names}")
    content, digest = export_batch(made, template)
    Path(output).write_bytes(content)
    db.session.commit()  # the audit entry, once the file is written
    click.echo(f"{output}: sha256 {digest}")


@payments_cli.command("statement")
@click.argument("id_number")
@click.argument("month")
@click.option("-o", "--output", required=True, type=click.Path())
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", help="The statement's language.")
@with_appcontext
def statement(id_number, month, output, lang):
    """Write a worker's statement of a month (工资条) as a PDF, in Chinese (default) or English."""
    made = queries.batch_for(_month(month))
    if made is None:
        fail(f"{month}: no payment batch; make it first with `flask payments batch`")
    locale = "en" if lang == "en" else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):  # the labels, states and level names are read and drawn in it
        found = statements.statement_by_id_number(made, id_number.strip().upper())
        if found is None:
            fail(f"{id_number}: no worker with this ID number is in the payment batch of {month}")
        try:
            content = statement_pdf.render([found])
        except ServiceError as exc:
            fail(exc.message)
        state = str(found.state.label)
    Path(output).write_bytes(content)
    click.echo(f"{output}: {found.name} {month}, net {found.net:.2f}, {state}")
