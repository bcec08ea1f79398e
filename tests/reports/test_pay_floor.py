"""The director pay floor (issue #15): the rule, who is a director, the imports and the command."""

from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.places.models import CommunityType
from app.reports.director_pay_import import apply_pay_import, plan_pay_import
from app.reports.income_import import apply_income_import, plan_income_import
from app.reports.pay_floor import monthly_floor
from app.reports.pay_floor_models import DirectorPay, DistrictIncome
from app.reports.pay_floor_queries import pay_floor_report
from app.workers.models import PostType
from tests import factories as f
from tests.reports.helpers import member

MAY = date(2026, 5, 1)


def _csv(header: str, *rows: str) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode("gb18030")


def _pays(*rows: str) -> bytes:
    return _csv("身份证号,月份,报酬", *rows)


def _incomes(*rows: str) -> bytes:
    return _csv("区县代码,年度,城镇常住居民人均可支配收入", *rows)


def _import(plan_fn, apply_fn, data: bytes, allowed=None):
    plan = plan_fn("file.csv", data, allowed)
    if plan.ok:
        apply_fn(plan, "file.csv")
    return plan


def _head(comm, start=date(2020, 1, 1), end=None):
    return member(comm, date(1975, 3, 1), start, end=end, post=PostType.head)


@pytest.fixture
def floor_world(world):
    """District A (500103) earned 40,000 in 2025, so its floor in 2026 is 4,000.00 a month."""
    w = world
    plan = _import(plan_income_import, apply_income_import, _incomes("500103,2025,40000", "500104,2025,48000"))
    assert plan.ok, plan.errors
    w.director = _head(w.community_a)
    w.village = f.community("500103", name="石桥村")
    w.village.community_type = CommunityType.village
    w.village_head = _head(w.village)
    db.session.commit()
    return w


def _line(report, worker):
    return next((x for x in report.lines if x.director.worker_id == worker.id), None)


def test_the_floor_is_1_2_times_last_years_income_over_12_rounded_half_up():
    assert monthly_floor(Decimal("40000")) == Decimal("4000.00")
    assert monthly_floor(Decimal("40000.05")) == Decimal("4000.01")  # 4,000.005 rounds up
    assert monthly_floor(Decimal("40000.04")) == Decimal("4000.00")  # 4,000.004 rounds down


def test_a_director_at_3999_99_is_below_by_0_01_and_one_at_4000_is_not(floor_world):
    w = floor_world
    other = _head(f.community("500103"))
    plan = _import(
        plan_pay_import,
        apply_pay_import,
        _pays(f"{w.director.id_number},2026-05,3999.99", f"{other.id_number},2026-05,4000"),
    )
    assert plan.ok, plan.errors
    report = pay_floor_report(w.payroll_city, MAY)
    assert _line(report, w.director).floor == Decimal("4000.00")
    assert [(x.director.worker_id, x.shortfall) for x in report.below] == [(w.director.id, Decimal("0.01"))]
    assert _line(report, other).shortfall is None
    district = next(d for d in report.districts if d.code == "500103")
    assert (district.directors, district.with_pay, district.below) == (2, 2, 1)
    assert district.average == Decimal("4000.00") and district.floor == Decimal("4000.00")  # (3999.99 + 4000) / 2


def test_a_village_head_is_never_in_the_report(floor_world):
    w = floor_world
    _import(plan_pay_import, apply_pay_import, _pays(f"{w.village_head.id_number},2026-05,100"))
    report = pay_floor_report(w.payroll_city, MAY)
    assert _line(report, w.village_head) is None
    assert w.village_head.id not in {x.director.worker_id for x in report.missing}
    assert report.trend == []  # the village head's pay is no director's pay
    assert _line(report, w.director) in report.missing


def test_a_director_in_post_for_part_of_the_month_is_judged_on_that_months_pay_record(floor_world):
    w = floor_world
    joined = _head(f.community("500103"), start=date(2026, 5, 20))
    left = _head(f.community("500103"), start=date(2024, 1, 1), end=date(2026, 5, 10))
    rows = [f"{joined.id_number},2026-05,1000", f"{left.id_number},2026-05,4100", f"{left.id_number},2026-06,3000"]
    assert _import(plan_pay_import, apply_pay_import, _pays(*rows)).ok
    may = pay_floor_report(w.payroll_city, MAY)
    assert _line(may, joined).shortfall == Decimal("3000.00")  # the month's record, not pro rata
    assert _line(may, left).shortfall is None
    june = pay_floor_report(w.payroll_city, date(2026, 6, 1))
    assert _line(june, left) is None and _line(june, joined) in june.missing
    april = pay_floor_report(w.payroll_city, date(2026, 4, 1))
    assert _line(april, joined) is None


def test_without_last_years_income_nobody_is_judged(floor_world):
    w = floor_world
    _import(plan_pay_import, apply_pay_import, _pays(f"{w.director.id_number},2027-01,10"))
    report = pay_floor_report(w.payroll_city, date(2027, 1, 1))
    assert _line(report, w.director).floor is None and report.below == []


def test_the_yearly_trend_averages_director_pay_records(floor_world):
    w = floor_world
    rows = [f"{w.director.id_number},2025-12,2000", f"{w.director.id_number},2026-01,3000"]
    rows.append(f"{w.director.id_number},2026-02,3500")
    assert _import(plan_pay_import, apply_pay_import, _pays(*rows)).ok
    trend = pay_floor_report(w.payroll_city, MAY).trend
    assert [(y.year, y.records, y.average) for y in trend] == [
        (2025, 1, Decimal("2000.00")),
        (2026, 2, Decimal("3250.00")),
    ]


def test_a_district_coordinator_sees_their_districts_only(floor_world):
    w = floor_world
    b_head = _head(w.community_b)
    assert _import(plan_pay_import, apply_pay_import, _pays(f"{b_head.id_number},2026-05,10")).ok
    mine = pay_floor_report(w.coord_a, MAY)
    assert {d.code for d in mine.districts} == {"500103"} and _line(mine, b_head) is None
    city = pay_floor_report(w.payroll_city, MAY)
    assert {d.code for d in city.districts} == {"500103", "500104"}
    assert _line(city, b_head).shortfall == Decimal("4790.00")  # 48,000 × 1.2 ÷ 12 = 4,800.00


def test_the_pay_import_is_all_or_nothing_with_every_bad_row(floor_world):
    w = floor_world
    plan = _import(
        plan_pay_import,
        apply_pay_import,
        _pays(
            f"{w.director.id_number},2026-05,4200",  # good, but the file has bad rows
            f"{w.director.id_number},2026-13,4200",  # not a month
            f"{w.director.id_number},2026-06,-1",  # negative
            f"{w.director.id_number},2026-07,12.345",  # three decimals
            f"{f.id_number()},2026-05,4200",  # nobody registered
            f"{w.director.id_number},2026-05,4300",  # the same key again
            "110105194912310021,2026-05,4200",  # check character
        ),
    )
    assert [(e.row, e.column.split(" ")[0]) for e in plan.errors] == [
        (3, "月份"),
        (4, "报酬"),
        (5, "报酬"),
        (6, "身份证号"),
        (7, "月份"),
        (8, "身份证号"),
    ]
    assert db.session.query(DirectorPay).count() == 0


def test_reimporting_the_same_pay_file_changes_nothing_and_a_new_amount_changes_the_record(floor_world):
    w = floor_world
    data = _pays(f"{w.director.id_number.lower()},2026-05,3999.99")
    assert len(_import(plan_pay_import, apply_pay_import, data).inserts) == 1
    again = plan_pay_import("file.csv", data, None)
    assert again.ok and not again.has_changes and again.unchanged == 1
    changed = _import(plan_pay_import, apply_pay_import, _pays(f"{w.director.id_number},2026-05,4500"))
    assert len(changed.updates) == 1
    assert db.session.query(DirectorPay).one().pay == Decimal("4500.00")


def test_the_income_import_is_all_or_nothing_with_every_bad_row(world):
    plan = _import(
        plan_income_import,
        apply_income_import,
        _incomes("500103,2025,40000", "999999,2025,40000", "500104,20x5,40000", "500104,2025,0", "500103,2025,41000"),
    )
    assert [(e.row, e.column.split(" ")[0]) for e in plan.errors] == [
        (3, "区县代码"),
        (4, "年度"),
        (5, "城镇常住居民人均可支配收入"),
        (6, "年度"),
    ]
    assert db.session.query(DistrictIncome).count() == 0


def test_a_district_coordinator_imports_only_their_districts_rows(world):
    scope = {world.community_a.district_id}
    pays = _pays(f"{world.worker_a.id_number},2026-05,3000", f"{world.worker_b.id_number},2026-05,3000")
    plan = _import(plan_pay_import, apply_pay_import, pays, allowed=scope)
    assert [e.row for e in plan.errors] == [3] and db.session.query(DirectorPay).count() == 0
    incomes = _import(plan_income_import, apply_income_import, _incomes("500103,2025,40000", "500104,2025,1"), scope)
    assert [e.row for e in incomes.errors] == [3] and db.session.query(DistrictIncome).count() == 0
    assert _import(plan_income_import, apply_income_import, _incomes("500103,2025,40000"), scope).ok
    assert _import(plan_pay_import, apply_pay_import, _pays(f"{world.worker_a.id_number},2026-05,3000"), scope).ok


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_the_commands_import_or_exit_non_zero_and_write_the_report(runner, floor_world, tmp_path):
    w = floor_world
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_pays(f"{w.director.id_number},2026-5-1,10"))
    result = runner.invoke(args=["reports", "import-director-pay", str(bad)])
    assert result.exit_code == 1 and "月份" in result.output and db.session.query(DirectorPay).count() == 0
    good = tmp_path / "pay.csv"
    good.write_bytes(_pays(f"{w.director.id_number},2026-05,3999.99"))
    assert runner.invoke(args=["reports", "import-director-pay", str(good)]).exit_code == 0
    income = tmp_path / "income.csv"
    income.write_bytes(_incomes("500103,2024,36000"))
    assert runner.invoke(args=["reports", "import-income", str(income)]).exit_code == 0
    assert runner.invoke(args=["reports", "import-income", str(bad)]).exit_code == 1
    out = tmp_path / "floor.csv"
    result = runner.invoke(args=["reports", "pay-floor", "2026-05", "-o", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("month,district_code,district,community,id_number,name,pay,floor,shortfall,status")
    assert f"{w.director.id_number},成员,3999.99,4000.00,0.01,below the floor" in lines[1]
    zh = tmp_path / "floor.xlsx"
    assert runner.invoke(args=["reports", "pay-floor", "2026-05", "-o", str(zh)]).exit_code == 0
    printed = runner.invoke(args=["reports", "pay-floor", "2026-05", "--table", "districts"])
    assert printed.exit_code == 0 and "500103\t渝中区\t1\t1\t3999.99\t4000.00\t1" in printed.output
    assert runner.invoke(args=["reports", "pay-floor", "2026-5x"]).exit_code == 1
