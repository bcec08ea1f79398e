"""End to end in chromium: a coordinator goes from the menu to the reports page and on to the
talent-plan progress page; and from a worker's record adds an education level, sees it on the
record and in the registry's education filter, then deletes it again."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.live import sign_in
from tests.browser.shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

POSTGRADUATE = re.compile("研究生|Postgraduate")


def test_from_the_menu_to_the_progress_page(page, live_server):
    sign_in(page, live_server, "coord_city")
    page.click("#reports-link")
    expect(page).to_have_url(re.compile(r"/reports/$"))
    page.click("#progress-link")
    expect(page).to_have_url(re.compile(r"/reports/progress"))
    expect(page.locator("#progress-title")).to_be_visible()
    expect(page.locator("#target-bar")).to_be_visible()
    expect(page.locator(".how-counted")).to_have_count(4)
    expect(page.locator("#certified-table")).to_be_visible()
    expect(page.locator("#exams-table")).to_be_visible()
    shot(page, "reports-progress")

    # An earlier "as of" day is kept in the address and in the downloads.
    page.fill("#as_of", "2024-12-31")
    page.fill("#year", "2024")
    page.click("#progress-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"as_of=2024-12-31"))
    expect(page.locator("#certified-xlsx")).to_have_attribute("href", re.compile(r"as_of=2024-12-31"))


def test_a_coordinator_adds_an_education_level_on_a_workers_record(page, live_server, demo_worker):
    sign_in(page, live_server, "coord_yz")
    page.goto(f"{live_server}/workers/{demo_worker.id}")
    expect(page.locator("#education")).to_be_visible()
    page.click("#education-add")
    expect(page.locator("#education-form")).to_be_visible()
    page.select_option("#level", "postgraduate")
    page.fill("#obtained_on", "2019-07-01")
    shot(page, "worker-education-form", phone=False)
    page.click("#education-save")

    expect(page).to_have_url(re.compile(rf"/workers/{demo_worker.id}"))
    row = page.locator("#education-table tbody tr").filter(has_text="2019-07-01")
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text(POSTGRADUATE)
    expect(page.locator("#education-now")).to_have_text(POSTGRADUATE)
    shot(page, "worker-education")

    # The registry's filter finds the worker among those with 研究生.
    page.goto(f"{live_server}/workers/?q={demo_worker.name}")
    page.select_option("#education-filter", "postgraduate")
    expect(page).to_have_url(re.compile(r"education=postgraduate"))
    expect(page.locator(f'#worker-table a[href="/workers/{demo_worker.id}"]')).to_have_count(1)

    # Deleted again, so the shared demo database is as it was.
    page.goto(f"{live_server}/workers/{demo_worker.id}")
    page.once("dialog", lambda dialog: dialog.accept())
    row = page.locator("#education-table tbody tr").filter(has_text="2019-07-01")
    row.locator("button[type=submit]").click()
    expect(page.locator("#education-table tbody tr").filter(has_text="2019-07-01")).to_have_count(0)
