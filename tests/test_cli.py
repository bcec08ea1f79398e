"""The commands: the same services as the pages; exit 0 on success, non-zero with the reason."""

import io

import pytest
from openpyxl import load_workbook

from app.accounts.models import User
from app.core.audit import AuditLog
from app.extensions import db
from app.workers.models import Worker
from tests import factories as f


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_users_create_with_password_from_stdin(runner, app_ctx):
    result = runner.invoke(
        args=["users", "create", "coord9", "--role", "coordinator", "--district", "500103", "--password-stdin"],
        input="Secret-2026\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(username="coord9").one()
    assert [d.code for d in user.districts] == ["500103"] and user.check_password("Secret-2026")


def test_users_create_refuses_an_unknown_district(runner, app_ctx):
    result = runner.invoke(
        args=["users", "create", "coord9", "--role", "coordinator", "--district", "123456", "--password-stdin"],
        input="Secret-2026\n",
    )
    assert result.exit_code != 0 and "123456" in result.output
    assert db.session.query(User).filter_by(username="coord9").count() == 0


def test_places_and_workers_import_then_export(runner, app_ctx, tmp_path):
    places = tmp_path / "places.csv"
    places.write_text("区县代码,街道,社区代码,社区\n500103,解放碑街道,500103001001,民生社区\n", encoding="gb18030")
    assert runner.invoke(args=["places", "import", str(places)]).exit_code == 0
    number = f.id_number()
    posts = tmp_path / "posts.csv"
    posts.write_text(
        f"id_number,name,phone,community_code,post,start_date,end_date\n"
        f"{number},刘洋,13700000000,500103001001,staff,2023-04-01,\n",
        encoding="utf-8-sig",
    )
    result = runner.invoke(args=["workers", "import", str(posts)])
    assert result.exit_code == 0, result.output
    assert db.session.query(Worker).filter_by(id_number=number).count() == 1

    out = tmp_path / "workers.xlsx"
    result = runner.invoke(args=["workers", "export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(io.BytesIO(out.read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("身份证号", "姓名") and rows[1][0] == number
    assert db.session.query(AuditLog).filter_by(action="export").count() == 1


def test_a_bad_file_exits_non_zero_names_each_bad_row_and_writes_nothing(runner, app_ctx, tmp_path):
    comm = f.community("500103")
    posts = tmp_path / "posts.csv"
    posts.write_text(
        f"身份证号,姓名,社区代码,岗位,到岗日期\n{f.id_number()},好,{comm.code},staff,2023-04-01\n"
        f"123,坏,{comm.code},staff,2023-04-01\n{f.id_number()},坏,{comm.code},boss,2023-04-01\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["workers", "import", str(posts)])
    assert result.exit_code == 1
    assert "3" in result.output and "4" in result.output
    assert db.session.query(Worker).count() == 0


def test_a_missing_file_exits_non_zero(runner, app_ctx):
    result = runner.invoke(args=["workers", "import", "/no/such/file.csv"])
    assert result.exit_code == 1 and "no such file" in result.output


def test_seed_demo_loads_realistic_data_and_accounts(runner, app_ctx):
    result = runner.invoke(args=["seed-demo", "--workers", "40"])
    assert result.exit_code == 0, result.output
    # what `make run` prints: the summary and the accounts, no stray progress-bar line
    assert result.output.splitlines()[0] == "Demo data loaded: 40 workers."
    assert db.session.query(Worker).count() == 40
    assert {u.username for u in db.session.query(User)} >= {
        "admin",
        "coord_yz",
        "coord_city",
        "payroll1",
        "payroll2",
        "worker",
    }
    assert all(w.district_id for w in db.session.query(Worker))
    again = runner.invoke(args=["seed-demo", "--workers", "40"])
    assert again.exit_code == 0 and db.session.query(Worker).count() == 40


def test_exams_add_year_and_import_results(runner, app_ctx, tmp_path):
    from app.exams.models import ExamResult, ExamYear

    result = runner.invoke(
        args=[
            "exams",
            "add-year",
            "2025",
            "--results-date",
            "2025-12-19",
            "--exam-date",
            "2025-10-25",
            "--pass-mark",
            "A1=55",
        ]
    )
    assert result.exit_code == 0, result.output
    assert str(db.session.query(ExamYear).filter_by(year=2025).one().pass_mark("A1")) == "55.0"
    bad = runner.invoke(args=["exams", "add-year", "2026", "--results-date", "2026-02-30"])
    assert bad.exit_code == 1 and "2026-02-30" in bad.output
    w = f.worker(f.community("500103"))
    db.session.commit()  # the failing import below rolls back what is not committed
    file = tmp_path / "results.csv"
    file.write_text(f"id_number,year,subject,score\n{w.id_number},2025,A1,55\n{w.id_number},2025,A2,x\n")
    failed = runner.invoke(args=["exams", "import-results", str(file)])
    assert failed.exit_code == 1 and "3" in failed.output
    file.write_text(f"id_number,year,subject,score\n{w.id_number},2025,A1,55\n")
    assert runner.invoke(args=["exams", "import-results", str(file)]).exit_code == 0
    assert db.session.query(ExamResult).one().passed
