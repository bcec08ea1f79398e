"""The reports' print layout (issue #15): each report page has a print button and a print view
(?print=1) whose sheet starts with the title, the as-of date and the source note; the page's
"how it was counted" sentence and figures are the same as on screen, menus and forms are marked
to be hidden, and the charts tell their series apart without colour (hatched fills)."""

from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.reports import services
from app.reports.director_pay_import import apply_pay_import, plan_pay_import
from app.reports.pay_floor_services import save_income
from app.workers.models import PostType
from tests.factories import login, post
from tests.reports.helpers import member

SOURCE = "数据来源：万名社工专才培养计划系统，截至 {day}"


@pytest.fixture
def terms(world):
    services.add_term("2016届", date(2016, 11, 19))
    services.add_term("2021届", date(2021, 11, 20))
    member(world.community_a, date(1960, 1, 1), date(2015, 1, 1), end=date(2018, 1, 1))
    member(world.community_a, date(1985, 1, 1), date(2021, 1, 1))
    db.session.commit()


def _head(html: str) -> str:
    return html.split('id="print-head"')[1].split("</header>")[0]


def test_the_term_reports_print_view_has_title_as_of_and_source(client, terms, today):
    login(client, "t_coord_city")
    page = client.get("/reports/").get_data(as_text=True)
    assert 'data-print id="print-report"' in page and "打印" in page
    assert 'href="/reports/?print=1"' in page
    assert "css/reports-print.css" in page and "js/reports-print.js" in page

    html = client.get("/reports/?print=1").get_data(as_text=True)
    assert 'class="report-sheet print-view"' in html and 'id="print-now"' in html
    head = _head(html)
    assert "两委" in head and "2021届" in head
    assert SOURCE.format(day=today.isoformat()) in head
    assert 'id="how-counted"' in html  # the one sentence of how it was counted is on the sheet
    total = html.split('id="term-total"')[1].split("</tr>")[0]
    assert '<td class="text-end">1</td>' in total and "100.0%" in total  # the figures as on screen
    back = html.split('id="print-view-back"')[0].rsplit("<a", 1)[1]
    assert 'href="/reports/"' in back


def test_the_print_view_keeps_the_chosen_term(client, terms):
    login(client, "t_coord_city")
    term = db.session.scalar(db.select(services.Term).where(services.Term.name == "2016届"))
    page = client.get(f"/reports/?term={term.id}").get_data(as_text=True)
    assert f"term={term.id}" in page.split('id="print-view-link"')[0].rsplit("<a", 1)[1]
    head = _head(client.get(f"/reports/?term={term.id}&print=1").get_data(as_text=True))
    assert "2016届" in head


def test_the_term_chart_tells_its_bars_apart_without_colour(client, terms):
    login(client, "t_coord_city")
    html = client.get("/reports/").get_data(as_text=True)
    chart = html.split('id="term-chart"')[1].split("</svg>")[0]
    assert '<pattern id="term-chart-hatch"' in chart and 'fill="url(#term-chart-hatch)"' in chart
    assert "100.0%" in chart  # each bar labelled with its value


def test_the_print_view_in_english(client, terms, today):
    login(client, "t_coord_city")
    post(client, "/locale/en")
    html = client.get("/reports/?print=1").get_data(as_text=True)
    head = _head(html)
    assert "Community committee" in head and f"as of {today.isoformat()}" in head and "Source:" in head
    assert '<html lang="en">' in html  # the print stylesheet numbers its pages in English
    assert "College (associate) or higher" in html.split('id="term-chart"')[1]


def test_the_pay_floor_print_view(client, world, today):
    save_income(world.admin, world.community_a.district_id, 2025, Decimal("40000"))
    a = member(world.community_a, date(1975, 1, 1), date(2020, 1, 1), post=PostType.head)
    data = f"身份证号,月份,报酬\r\n{a.id_number},2026-05,3999.99\r\n".encode()
    apply_pay_import(plan_pay_import("pay.csv", data, None), "pay.csv")
    db.session.commit()
    login(client, "t_payroll_city")
    page = client.get("/reports/pay-floor?month=2026-05").get_data(as_text=True)
    assert 'id="print-report"' in page and "month=2026-05" in page.split('id="print-view-link"')[0].rsplit("<a", 1)[1]
    html = client.get("/reports/pay-floor?month=2026-05&print=1").get_data(as_text=True)
    head = _head(html)
    assert "居委会主任报酬最低保障" in head
    assert "2026-05" in head and SOURCE.format(day=today.isoformat()) in head
    assert 'id="how-counted"' in html and "0.01" in html.split('id="below-table"')[1]
    assert 'fill="url(#pay-chart-hatch)"' in html


def test_the_progress_print_view_is_as_of_the_day_asked(client, world):
    login(client, "t_coord_city")
    page = client.get("/reports/progress?as_of=2024-12-31&year=2024").get_data(as_text=True)
    link = page.split('id="print-view-link"')[0].rsplit("<a", 1)[1]
    assert "as_of=2024-12-31" in link and "print=1" in link
    html = client.get("/reports/progress?as_of=2024-12-31&year=2024&print=1").get_data(as_text=True)
    head = _head(html)
    assert "人才培养计划进度" in head
    assert SOURCE.format(day="2024-12-31") in head
    assert html.count("how-counted") >= 4
