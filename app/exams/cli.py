from datetime import date
from decimal import Decimal, InvalidOperation

import click
from flask.cli import with_appcontext

from app.core.cli_helpers import act_as, fail, run_file_import
from app.core.services import ServiceError
from app.exams import importers, services
from app.exams.levels import SUBJECT_ALIASES
from app.extensions import db


@click.group("exams", help="Exam years, results, qualifications, registrations, CE.")
def exams_cli():
    pass


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{name}: “{value}” is not a date in the form YYYY-MM-DD")


@exams_cli.command("add-year")
@click.argument("year", type=int)
@click.option("--results-date", required=True, help="YYYY-MM-DD")
@click.option("--exam-date", default=None, help="YYYY-MM-DD")
@click.option("--registration-opens", default=None, help="YYYY-MM-DD: exam sign-up opens")
@click.option("--registration-closes", default=None, help="YYYY-MM-DD: exam sign-up closes")
@click.option("--pass-mark", "pass_marks", multiple=True, help="SUBJECT=SCORE, e.g. A1=55 (default 60)")
@click.option("--as", "username", default=None, help="User recorded in the audit log.")
@with_appcontext
def add_year(year, results_date, exam_date, registration_opens, registration_closes, pass_marks, username):
    """Set up (or update) an exam year and its pass marks."""
    act_as(username)
    marks = {}
    for item in pass_marks:
        subject, _, score = item.partition("=")
        code = SUBJECT_ALIASES.get(subject.strip())
        if code is None:
            fail(f"--pass-mark {item}: unknown subject (A1, A2, I1, I2, I3, S1)")
        try:
            marks[code] = Decimal(score)
        except InvalidOperation:
            fail(f"--pass-mark {item}: “{score}” is not a number")
    try:
        existing = services.exam_year_by_number(year)
        services.save_exam_year(
            year,
            _date(results_date, "--results-date"),
            _date(exam_date, "--exam-date"),
            _date(registration_opens, "--registration-opens"),
            _date(registration_closes, "--registration-closes"),
            marks,
            exam_year=existing,
        )
    except ServiceError as exc:
        db.session.rollback()
        fail(f"{year}: {exc.message}")
    db.session.commit()
    click.echo(f"exam year {year} saved")


def _import_command(kind_name: str, help_text: str):
    kind = importers.KINDS[kind_name]

    @click.argument("file", type=click.Path())
    @click.option("--as", "username", default=None, help="User recorded in the audit log.")
    @with_appcontext
    def command(file, username):
        act_as(username)
        run_file_import(
            file,
            lambda name, data: importers.plan_import(kind, name, data),
            lambda plan, name: importers.apply_import(kind, plan, name),
        )

    command.__doc__ = help_text
    return exams_cli.command(f"import-{kind_name}")(command)


_import_command("results", "Import exam results; unknown ID numbers go to the review queue.")
_import_command("reviews", "Import senior reviews (评审).")
_import_command("qualifications", "Import historical qualifications (certificates).")
_import_command("registrations", "Import certificate registrations.")
_import_command("ce", "Import external continuing-education records.")
