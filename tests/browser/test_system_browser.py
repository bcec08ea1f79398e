"""End to end in chromium: the admin opens the system page from the menu and reads each section."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.live import sign_in
from tests.browser.shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]


def test_the_admin_opens_the_system_page_from_the_menu(page, live_server):
    sign_in(page, live_server, "admin")
    page.locator("#admin-menu").click()
    page.locator(".navbar-nav a#system-link").click()
    expect(page).to_have_url(re.compile(r"/admin/system$"))
    expect(page.locator("h1")).to_have_text("系统")
    for section in ("#workers", "#queues", "#database", "#deliveries", "#tasks", "#imports"):
        expect(page.locator(section)).to_be_visible()
    expect(page.locator("#migrations")).to_contain_text("已是最新")
    expect(page.locator("#tasks")).to_contain_text("reminders.send_pending")
    shot(page, "system")
