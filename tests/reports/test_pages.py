"""The reports page, the term files and the terms admin page."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.reports import services
from app.reports.models import Term
from app.workers.models import PostType
from tests.factories import login, post
from tests.reports.helpers import member


@pytest.fixture
def terms(world):
    """2016届 and 2021届; in 500103 one member under 50 each time, in 500104 one over 50 now."""
    before = services.add_term("2016届", date(2016, 11, 19))
    now = services.add_term("2021届", date(2021, 11, 20))
    member(world.community_a, date(1980, 1, 1), date(2015, 1, 1), end=date(2018, 1, 1), post=PostType.head)
    member(world.community_a, date(1960, 1, 1), date(2015, 1, 1), end=date(2018, 1, 1))
    member(world.community_a, date(1985, 1, 1), date(2021, 1, 1))
    member(world.community_b, date(1960, 1, 1), date(2021, 1, 1))
    db.session.commit()
    return before, now


def test_a_coordinator_finds_the_report_from_the_menu_with_its_table_and_chart(client, terms):
    login(client, "t_coord_city")
    home = client.get("/").get_data(as_text=True)
    assert 'id="reports-link"' in home
    html = client.get("/reports/").get_data(as_text=True)
    assert "2021届" in html and 'id="how-counted"' in html and 'id="as-of"' in html
    assert "<svg" in html and "渝中区" in html
    total = html.split('id="term-total"')[1].split("</tr>")[0]
    # 2 members city-wide, 1 under 50 (50.0 %), up 0.0 from 1 of 2 last term
    assert '<td class="text-end">2</td>' in total and "50.0%" in total and "0.0" in total


def test_a_district_coordinator_sees_only_their_district(client, terms):
    login(client, "t_coord_a")
    html = client.get("/reports/").get_data(as_text=True)
    assert "渝中区" in html and "大渡口区" not in html


def test_the_earlier_term_can_be_chosen(client, terms):
    login(client, "t_payroll_city")
    html = client.get(f"/reports/?term={terms[0].id}").get_data(as_text=True)
    assert 'id="report-title"' in html and "2016届" in html.split('id="report-title"')[1][:200]


def test_the_downloads_have_chinese_headers_and_english_on_request(client, terms):
    login(client, "t_coord_city")
    csv = client.get(f"/reports/terms/{terms[1].id}.csv").get_data().decode("utf-8-sig").splitlines()
    assert csv[0].startswith("区县代码,区县,两委成员人数,50岁以下人数,50岁以下占比(%)")
    assert csv[-1].startswith(",全市,2,1,50.0,0.0,")
    content = client.get(f"/reports/terms/{terms[1].id}.xlsx?lang=en").get_data()
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("district_code", "district", "members")
    assert rows[1][:3] == ("500103", "渝中区", 1) and rows[-1][1] == "City-wide"


def test_a_district_download_has_their_district_and_their_total_only(client, terms):
    login(client, "t_coord_a")
    csv = client.get(f"/reports/terms/{terms[1].id}.csv").get_data().decode("utf-8-sig").splitlines()
    assert len(csv) == 3 and csv[1].startswith("500103,") and csv[2].startswith(",合计,1,1,100.0,")


def test_without_terms_the_page_says_so(client, world):
    login(client, "t_admin")
    html = client.get("/reports/").get_data(as_text=True)
    assert 'id="no-terms"' in html


def test_an_admin_adds_a_term_and_a_duplicate_is_refused_with_a_message(client, world):
    login(client, "t_admin")
    response = post(
        client, "/reports/terms", {"name": "2021届", "elected_on": "2021-11-20"}, token_from="/reports/terms"
    )
    assert response.status_code == 302
    assert db.session.query(Term).filter_by(name="2021届").one().elected_on == date(2021, 11, 20)
    again = post(client, "/reports/terms", {"name": "2021届", "elected_on": "2022-01-01"}, token_from="/reports/terms")
    assert again.status_code == 200 and "is-invalid" in again.get_data(as_text=True)
    bad = post(client, "/reports/terms", {"name": "2026届", "elected_on": "2026-13-01"}, token_from="/reports/terms")
    assert bad.status_code == 200 and db.session.query(Term).count() == 1


def test_only_an_admin_manages_terms(client, world):
    login(client, "t_coord_city")
    assert client.get("/reports/terms").status_code == 403
    assert 'id="terms-link"' not in client.get("/reports/").get_data(as_text=True)
