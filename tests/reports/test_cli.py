"""`flask reports add-term` and `flask reports term`: the same services as the pages."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.reports.models import Term
from tests.reports.helpers import member


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_add_term_then_refuse_the_same_name_and_a_bad_date(runner, app_ctx):
    result = runner.invoke(args=["reports", "add-term", "2021届", "--elected", "2021-11-20"])
    assert result.exit_code == 0, result.output
    assert db.session.query(Term).one().elected_on == date(2021, 11, 20)
    assert runner.invoke(args=["reports", "add-term", "2021届", "--elected", "2022-01-01"]).exit_code == 1
    assert runner.invoke(args=["reports", "add-term", "2026届", "--elected", "2026-02-30"]).exit_code == 1
    assert db.session.query(Term).count() == 1


def test_the_term_report_as_a_file_with_chinese_or_english_headers(runner, world, tmp_path):
    runner.invoke(args=["reports", "add-term", "2021届", "--elected", "2021-11-20"])
    member(world.community_a, date(1985, 1, 1), date(2021, 1, 1))
    member(world.community_b, date(1960, 1, 1), date(2021, 1, 1))
    out = tmp_path / "term.xlsx"
    result = runner.invoke(args=["reports", "term", "2021届", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(io.BytesIO(out.read_bytes())).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("区县代码", "区县", "两委成员人数")
    assert [r[0] for r in rows[1:]] == ["500103", "500104", None] and rows[-1][1:5] == ("全市", 2, 1, 50.0)
    csv = tmp_path / "term.csv"
    assert runner.invoke(args=["reports", "term", "2021届", "-o", str(csv), "--lang", "en"]).exit_code == 0
    assert csv.read_text(encoding="utf-8-sig").startswith("district_code,district,members,under_50,")
    scoped = runner.invoke(args=["reports", "term", "2021届", "--as", world.coord_a.username])
    assert scoped.exit_code == 0 and "500104" not in scoped.output and "合计" in scoped.output


def test_an_unknown_term_or_file_type_exits_non_zero(runner, app_ctx, tmp_path):
    assert runner.invoke(args=["reports", "term", "1999届"]).exit_code == 1
    runner.invoke(args=["reports", "add-term", "2021届", "--elected", "2021-11-20"])
    assert runner.invoke(args=["reports", "term", "2021届", "-o", str(tmp_path / "x.pdf")]).exit_code == 1
