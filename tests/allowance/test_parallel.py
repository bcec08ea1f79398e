"""`flask allowance compute --jobs N` on PostgreSQL: the districts in N groups, each computed on its
own connection at once; the lines (month and arrears, every column) are those of one statement."""

import os
import random
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.allowance.models import AllowanceLine, AllowanceRun, AllowanceRunPart
from tests import services

pytestmark = pytest.mark.no_db_transaction
MONTH = "2026-06"
COLUMNS = [c for c in AllowanceLine.__table__.c if c.name not in ("id", "run_id")]


@pytest.fixture(scope="module")
def app():
    from flask_migrate import upgrade

    from app import create_app, demo
    from app.allowance import compute
    from app.allowance import services as allowance
    from app.allowance.models import RunState
    from app.allowance.rules import Month
    from app.exams.levels import Level
    from app.extensions import db

    url = services.postgres_database(f"socialwork_parallel_{os.getpid()}")
    if url is None:
        services.missing("PostgreSQL")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        rng = random.Random(11)
        demo.seed_places(rng)
        demo.seed_workers(rng, 3000)
        demo.seed_exams(rng)
        db.session.commit()
        for back in (3, 2, 1):  # three locked months, then a rate change: arrears for each
            run, _districts = allowance.start_compute(Month.parse(MONTH).shift(-back), None)
            compute.compute_month(run.id)
            run.state = RunState.locked
            db.session.commit()
        allowance.set_rate(Level.assistant, Decimal("333.00"), date(2026, 3, 1))
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    services.drop_postgres_database(sa.engine.make_url(url).database)


def _lines(app):
    from app.extensions import db

    with app.app_context():
        run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.month == date(2026, 6, 1)))
        rows = db.session.execute(
            sa.select(*COLUMNS)
            .where(AllowanceLine.run_id == run.id)
            .order_by(AllowanceLine.worker_id, AllowanceLine.kind, AllowanceLine.corrects_month)
        ).all()
        parts = db.session.execute(
            sa.select(AllowanceRunPart.done, AllowanceRunPart.lines).where(AllowanceRunPart.run_id == run.id)
        ).all()
        computed = run.computed_at is not None
        db.session.remove()
    return [tuple(r) for r in rows], parts, computed


def _compute(app, *options):
    result = app.test_cli_runner().invoke(args=["allowance", "compute", MONTH, *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_several_connections_write_the_lines_one_statement_writes(app):
    one = _compute(app, "--jobs", "1")
    single, single_parts, computed = _lines(app)
    assert computed and all(done for done, _ in single_parts)
    assert any(r[COLUMNS.index(AllowanceLine.__table__.c.kind)] == "arrears" for r in single)
    assert len({r[COLUMNS.index(AllowanceLine.__table__.c.part_district_id)] for r in single}) > 10

    three = _compute(app, "--jobs", "3")
    parallel, parallel_parts, computed = _lines(app)
    assert parallel == single  # every column of every line, the month's and the arrears
    assert computed and all(done for done, _ in parallel_parts)
    assert sum(n for _, n in parallel_parts) == len(single)
    assert three == one  # the same summary: lines, lines with an amount, total


def test_jobs_must_be_a_positive_number(app):
    result = app.test_cli_runner().invoke(args=["allowance", "compute", MONTH, "--jobs", "0"])
    assert result.exit_code != 0
    assert "--jobs" in result.output
