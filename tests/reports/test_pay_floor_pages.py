"""The pay-floor page, its files, the district income page and the director pay import page."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.core.audit import AuditLog
from app.core.importing import ImportJob, JobState
from app.extensions import db
from app.reports.director_pay_import import apply_pay_import, plan_pay_import
from app.reports.pay_floor_models import DirectorPay, DistrictIncome
from app.reports.pay_floor_services import save_income
from app.workers.models import PostType
from tests.factories import csrf_token, login, post
from tests.reports.helpers import member


@pytest.fixture
def floor(world):
    """A director in each district, district A at 3,999.99 against a floor of 4,000.00 in May 2026."""
    save_income(world.admin, world.community_a.district_id, 2025, Decimal("40000"))
    save_income(world.admin, world.community_b.district_id, 2025, Decimal("36000"))
    a = member(world.community_a, date(1975, 1, 1), date(2020, 1, 1), post=PostType.head)
    b = member(world.community_b, date(1975, 1, 1), date(2020, 1, 1), post=PostType.head)
    data = f"身份证号,月份,报酬\r\n{a.id_number},2026-05,3999.99\r\n{b.id_number},2026-05,3700\r\n".encode()
    plan = plan_pay_import("pay.csv", data, None)
    apply_pay_import(plan, "pay.csv")
    db.session.commit()
    return a, b


def test_payroll_finds_the_page_from_the_reports_page_and_sees_the_shortfall(client, floor):
    login(client, "t_payroll_city")
    assert 'id="pay-floor-link"' in client.get("/reports/").get_data(as_text=True)
    html = client.get("/reports/pay-floor?month=2026-05").get_data(as_text=True)
    below = html.split('id="below-table"')[1].split("</table>")[0]
    assert "0.01" in below and "3999.99" in below and "4000.00" in below
    assert "渝中区" in html and "大渡口区" in html and "<svg" in html and 'id="how-counted"' in html
    assert floor[0].id_number not in html  # masked on the page


def test_the_page_defaults_to_the_latest_month_with_pay(client, floor):
    login(client, "t_payroll_city")
    assert 'value="2026-05"' in client.get("/reports/pay-floor").get_data(as_text=True)


def test_a_district_coordinator_sees_their_district_only(client, floor):
    login(client, "t_coord_a")
    html = client.get("/reports/pay-floor?month=2026-05").get_data(as_text=True)
    assert "渝中区" in html and "大渡口区" not in html


def test_a_worker_is_refused(client, floor):
    login(client, "t_worker_a")
    assert client.get("/reports/pay-floor").status_code == 403
    assert client.get("/reports/income").status_code == 403


def test_the_files_have_chinese_headers_english_on_request_and_the_directors_file_is_logged(client, floor):
    login(client, "t_payroll_city")
    csv = client.get("/reports/pay-floor/2026-05/directors.csv").get_data().decode("utf-8-sig").splitlines()
    assert csv[0].startswith("月份,区县代码,区县,社区,身份证号,姓名,报酬,最低保障标准,低于标准差额,状态")
    assert any(f"{floor[0].id_number},成员,3999.99,4000.00,0.01,低于最低保障" in line for line in csv)
    assert db.session.query(AuditLog).filter_by(entity_type="director_pay", action="export").count() == 1
    content = client.get("/reports/pay-floor/2026-05/districts.xlsx?lang=en").get_data()
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("month", "district_code", "district") and rows[1][1] == "500103"
    trend = client.get("/reports/pay-floor/2026-05/trend.csv").get_data().decode("utf-8-sig").splitlines()
    assert trend == ["年度,报酬记录数,主任平均月报酬", "2026,2,3850.00"]  # 7,699.99 ÷ 2 = 3,849.995, half-up
    assert client.get("/reports/pay-floor/2026-13/trend.csv").status_code == 404


def test_an_income_is_recorded_and_changed_on_its_page(client, world):
    login(client, "t_payroll_city")
    district = world.community_a.district_id
    response = post(
        client,
        "/reports/income",
        {"district_id": district, "year": 2025, "income": "40000"},
        token_from="/reports/income",
    )
    assert response.status_code == 302
    income = db.session.query(DistrictIncome).one()
    html = client.get(f"/reports/income?edit={income.id}").get_data(as_text=True)
    assert "4000.00" in html and 'value="40000.00"' in html
    post(
        client,
        f"/reports/income?edit={income.id}",
        {"district_id": district, "year": 2025, "income": "42000"},
        token_from="/reports/income",
    )
    db.session.refresh(income)
    assert income.income == Decimal("42000.00") and db.session.query(DistrictIncome).count() == 1


def test_a_district_coordinator_cannot_record_another_districts_income(client, world):
    login(client, "t_coord_a")
    response = post(
        client,
        "/reports/income",
        {"district_id": world.community_b.district_id, "year": 2025, "income": "40000"},
        token_from="/reports/income",
    )
    assert response.status_code in (200, 403) and db.session.query(DistrictIncome).count() == 0


def test_the_director_pay_import_page_previews_and_applies(client, world):
    head = member(world.community_a, date(1975, 1, 1), date(2020, 1, 1), post=PostType.head)
    db.session.commit()
    login(client, world.coord_a.username)
    page = "/reports/director-pay/import"
    token = csrf_token(client, page)
    data = f"id_number,month,pay\r\n{head.id_number},2026-05,3000\r\n".encode()
    html = client.post(
        page, data={"csrf_token": token, "file": (io.BytesIO(data), "pay.csv")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert 'id="import-preview"' in html and db.session.query(DirectorPay).count() == 0
    staged = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    action = re.search(r'<form method="post" action="([^"]*)">\s*<input id="csrf_token"', html).group(1)
    assert client.post(action, data={"csrf_token": csrf_token(client, page), "token": staged}).status_code == 302
    assert db.session.query(ImportJob).one().state == JobState.done
    assert db.session.query(DirectorPay).one().pay == Decimal("3000.00")
