"""End to end in chromium: the admin creates a coordinator for 江北区 through the users page; the
new coordinator signs in with the initial password, must choose a new one, and then sees the
registry of 江北区 only; the admin finds the new account in the audit log."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.live import sign_in
from tests.browser.shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

INITIAL, CHOSEN = "Chushi-2026!", "Xinmima-2026!"


def sign_out(page) -> None:
    page.click("#user-menu")
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))


def test_the_admin_creates_a_coordinator_who_signs_in_and_sees_their_district(page, live_server):
    username = f"coord_jb_{uuid.uuid4().hex[:4]}"
    sign_in(page, live_server, "admin")
    page.locator("#admin-menu").click()
    page.locator(".navbar-nav a", has_text="用户管理").click()
    page.locator("a.btn", has_text="新建用户").click()
    page.fill("input[name=username]", username)
    page.fill("input[name=display_name]", "江北区培训专干")
    page.select_option("select[name=role]", "coordinator")
    page.select_option("select[name=districts]", ["500105"])
    page.fill("input[name=password]", INITIAL)
    shot(page, "user-new")
    page.locator("form button[type=submit]", has_text="保存").click()
    expect(page).to_have_url(re.compile(r"/admin/users"))
    expect(page.locator("main")).to_contain_text(username)
    sign_out(page)

    # The first sign-in asks for a new password before anything else.
    sign_in(page, live_server, username, INITIAL)
    expect(page).to_have_url(re.compile(r"/account/password"))
    page.fill("input[name=current_password]", INITIAL)
    page.fill("input[name=new_password]", CHOSEN)
    page.fill("input[name=confirm]", CHOSEN)
    page.locator("main button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/account/password"))
    page.locator(".navbar-nav a", has_text="社区工作者").click()
    districts = page.locator("#worker-table tbody tr td").filter(has_text=re.compile("渝中区|江北区"))
    expect(districts.filter(has_text="江北区").first).to_be_visible()
    expect(districts.filter(has_text="渝中区")).to_have_count(0)
    sign_out(page)

    # The admin reads who created the account in the audit log.
    sign_in(page, live_server, "admin")
    page.locator("#admin-menu").click()
    page.locator(".navbar-nav a", has_text="审计日志").click()
    expect(page.locator("main")).to_contain_text(username)
    shot(page, "audit-log")
