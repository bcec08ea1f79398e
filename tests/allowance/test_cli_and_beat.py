from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.allowance.models import AllowanceHold, AllowanceLine, AllowanceRate, AllowanceRun, RunState
from app.allowance.rules import Month
from app.allowance.tasks import compute_previous_month
from app.core.timeutil import local_today
from app.exams.levels import Level
from app.exams.services import add_registration
from app.extensions import db


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def registered(world, today):
    # registered from 2025 (the September 2026 runs below) to beyond last month, whatever today is
    first = add_registration(world.worker_a.id, Level.assistant, date(2025, 1, 10))
    if first.expires_on < today:
        add_registration(world.worker_a.id, Level.assistant, first.expires_on + timedelta(days=1), today)
    db.session.commit()
    return world


def test_the_whole_month_from_the_command_line(runner, registered, tmp_path):
    assert (
        runner.invoke(
            args=["allowance", "set-rate", "assistant", "230", "--from", "2026-09-01", "--district", "500103"]
        ).exit_code
        == 0
    )
    result = runner.invoke(args=["allowance", "compute", "2026-09", "--as", "t_payroll_city"])
    assert result.exit_code == 0, result.output
    line = db.session.query(AllowanceLine).filter_by(worker_id=registered.worker_a.id).one()
    assert line.formula == "230.00 × 30/30 = 230.00"
    assert runner.invoke(args=["allowance", "submit", "2026-09", "--as", "t_payroll_city"]).exit_code == 0
    same = runner.invoke(args=["allowance", "approve", "2026-09", "--as", "t_payroll_city"])
    assert same.exit_code == 1 and same.output
    assert runner.invoke(args=["allowance", "approve", "2026-09", "--as", "t_payroll_city2"]).exit_code == 0
    assert runner.invoke(args=["allowance", "lock", "2026-09", "--as", "t_payroll_city2"]).exit_code == 0
    out = tmp_path / "sept.csv"
    result = runner.invoke(args=["allowance", "export", "2026-09", "--format", "csv", "-o", str(out), "--lang", "en"])
    assert result.exit_code == 0 and "sha256" in result.output
    assert registered.worker_a.id_number in out.read_text(encoding="utf-8-sig")
    again = runner.invoke(args=["allowance", "compute", "2026-09"])
    assert again.exit_code == 1  # locked


def test_bad_arguments_exit_non_zero_and_write_nothing(runner, registered):
    before = db.session.query(AllowanceRate).count()
    for args in (
        ["allowance", "set-rate", "boss", "100", "--from", "2026-01-01"],
        ["allowance", "set-rate", "assistant", "abc", "--from", "2026-01-01"],
        ["allowance", "set-rate", "assistant", "100", "--from", "2026-13-01"],
        ["allowance", "set-rate", "assistant", "-5", "--from", "2026-01-01"],
        ["allowance", "compute", "2026-13"],
        ["allowance", "hold", "123", "2026-09", "--reason", "x"],
        ["allowance", "export", "2026-08", "--format", "csv", "-o", "/tmp/x.csv"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
    assert db.session.query(AllowanceRate).count() == before


def test_hold_from_the_command_line(runner, registered):
    result = runner.invoke(args=["allowance", "hold", registered.worker_a.id_number, "2026-09", "--reason", "核查"])
    assert result.exit_code == 0
    assert db.session.query(AllowanceHold).filter_by(worker_id=registered.worker_a.id).one().reason == "核查"


def test_beat_computes_the_previous_month_and_leaves_a_submitted_one_alone(registered):
    month = Month(local_today().replace(day=1)).shift(-1)
    assert "computing" in compute_previous_month()
    run = db.session.query(AllowanceRun).filter_by(month=month.first).one()
    assert run.computed_at is not None
    paid = {line.worker_id: line.amount for line in db.session.query(AllowanceLine).filter_by(run_id=run.id)}
    assert paid[registered.worker_a.id] == Decimal("200.00")
    run.state = RunState.submitted
    db.session.commit()
    assert "left alone" in compute_previous_month()
    assert {line.worker_id: line.amount for line in db.session.query(AllowanceLine).filter_by(run_id=run.id)} == paid
