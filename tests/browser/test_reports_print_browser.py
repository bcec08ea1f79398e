"""End to end in chromium: the reports' print layout (issue #15).

A coordinator opens 报表 from the menu, clicks 打印 (the browser's print, a no-op headless) and
打印预览: the sheet shows the title, the source note and how it was counted, without the menu or
the forms. Printed (print media, and a real PDF from Chromium's print), the menu and buttons are
hidden and every page carries its number in the margin; the same in the English UI.
"""

import io
import os
import re
import unicodedata

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.live import sign_in
from tests.browser.shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]


def _pdf_text(page, name: str) -> list[str]:
    """The page printed by Chromium (print media, the CSS page size and margin boxes) as text, NFKC
    (the CJK font maps some characters to Kangxi radicals); kept as name.pdf beside screenshots."""
    page.emulate_media(media="print")
    content = page.pdf(prefer_css_page_size=True)
    page.emulate_media(media="screen")
    if os.environ.get("SCREENSHOTS_DIR"):
        with open(os.path.join(os.environ["SCREENSHOTS_DIR"], f"{name}.pdf"), "wb") as out:
            out.write(content)
    return [unicodedata.normalize("NFKC", p.extract_text()) for p in PdfReader(io.BytesIO(content)).pages]


def _numbered(texts: list[str], pattern: str) -> bool:
    """Every page carries "page n of N" (pattern with {n} and {total}) in its margin."""
    return all(re.search(pattern.format(n=n, total=len(texts)), text) for n, text in enumerate(texts, start=1))


@pytest.fixture(scope="module")
def terms(live):
    """2016届 and 2021届, added through the service the terms page calls when the demo has none."""
    from datetime import date

    from app.extensions import db
    from app.reports import queries, services

    with live.app.app_context():
        for name, day in (("2016届", date(2016, 11, 20)), ("2021届", date(2021, 11, 20))):
            if queries.term_by_name(name) is None:
                services.add_term(name, day)
        db.session.commit()
        db.session.remove()


def test_the_term_report_prints_with_title_source_and_page_numbers(page, live_server, terms):
    sign_in(page, live_server, "coord_city")
    page.click("#reports-link")
    expect(page.locator("#term-table")).to_be_visible()
    expect(page.locator("#print-head")).to_be_hidden()  # on screen, the page's own heading
    shot(page, "reports-terms")
    page.click("#print-report")  # window.print(): the page stays as it is
    expect(page.locator("#term-table")).to_be_visible()

    page.click("#print-view-link")
    expect(page).to_have_url(re.compile(r"print=1"))
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("#print-head")).to_be_visible()
    expect(page.locator("#print-source")).to_contain_text("数据来源：万名社工专才培养计划系统，截至")
    expect(page.locator("#print-title")).to_contain_text("两委")
    expect(page.locator("#how-counted")).to_be_visible()
    expect(page.locator("#term-chart")).to_be_visible()
    expect(page.locator("#term")).to_be_hidden()  # the term's form
    expect(page.locator("#download-xlsx")).to_be_hidden()
    expect(page.locator("#print-now")).to_be_visible()
    shot(page, "reports-print")

    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("#print-now")).to_be_hidden()
    expect(page.locator("#print-head")).to_be_visible()
    texts = _pdf_text(page, "reports-print")
    assert "数据来源:万名社工专才培养计划系统" in texts[0]  # NFKC: the full-width colon is plain
    assert "打印" not in texts[0] and "返回" not in texts[0]
    assert _numbered(texts, r"第 {n} .,共 {total} .")  # 页 comes out as a radical

    page.click("#print-view-back")
    expect(page).not_to_have_url(re.compile(r"print=1"))
    page.emulate_media(media="print")  # the report page itself printed (Ctrl+P): the same sheet
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("#print-report")).to_be_hidden()
    expect(page.locator("#print-head")).to_be_visible()
    expect(page.locator("#term-table")).to_be_visible()
    shot(page, "reports-print-media", phone=False)


def test_the_pay_floor_prints_in_english(page, live_server):
    sign_in(page, live_server, "payroll1")
    page.click("button[lang=en]")
    page.goto(f"{live_server}/reports/pay-floor")
    page.click("#print-view-link")
    expect(page.locator("#print-source")).to_contain_text("Source: Social Work Talent Plan system, as of")
    expect(page.locator("nav.navbar")).to_be_hidden()
    shot(page, "reports-print-pay-floor-en")
    texts = _pdf_text(page, "reports-print-pay-floor-en")
    assert _numbered(texts, r"Page {n} of {total}")
    page.click("#print-view-back")
    page.click("button[lang=zh-CN]")  # the account's language back for the other tests


def test_the_progress_prints_as_of_the_day_asked(page, live_server):
    sign_in(page, live_server, "coord_city")
    page.goto(f"{live_server}/reports/progress?as_of=2025-12-31&year=2025")
    page.click("#print-view-link")
    expect(page).to_have_url(re.compile(r"as_of=2025-12-31.*print=1|print=1.*as_of=2025-12-31"))
    expect(page.locator("#print-source")).to_contain_text("截至 2025-12-31")
    expect(page.locator("#progress-form")).to_be_hidden()
    expect(page.locator(".how-counted")).to_have_count(4)
    shot(page, "reports-print-progress")
