"""End to end in chromium: the admin opens API 客户端 from the menu, creates a token for the
finance system, sees it once, and a request with it is answered; after the admin revokes it, the
same request gets 401. The token never shows again on the client's page."""

import json
import re
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.core.timeutil import local_today
from tests.browser.live import sign_in
from tests.browser.shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]


def call(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_the_admin_creates_a_token_that_works_once_shown_then_revokes_it(page, live_server):
    name = f"财务系统-{uuid.uuid4().hex[:4]}"
    sign_in(page, live_server, "admin")
    page.locator("#admin-menu").click()
    page.locator("#api-clients-link").click()
    expect(page).to_have_url(re.compile(r"/api-clients/$"))
    page.locator("#new-api-client").click()
    page.fill("input[name=name]", name)
    page.select_option("select[name=scope]", "read")
    page.fill("input[name=expires_on]", (local_today() + timedelta(days=90)).isoformat())
    page.locator("#create-api-client").click()

    expect(page.locator("main")).to_contain_text("只显示这一次")
    token = page.locator("#api-token").inner_text().strip()
    assert token.startswith("swapi_") and len(token) > 40
    shot(page, "api-token-created")
    status, body = call(f"{live_server}/api/runs", token)
    assert status == 200 and "items" in body

    page.locator("#token-copied").click()
    expect(page.locator("main")).to_contain_text(name)
    expect(page.locator("#api-calls")).to_contain_text("/api/runs")
    assert token not in page.content()
    page.locator("#revoke-api-client").click()
    expect(page.locator("main")).to_contain_text("已吊销")
    status, body = call(f"{live_server}/api/runs", token)
    assert status == 401 and body["code"] == 401

    page.locator("#admin-menu").click()
    page.locator("#api-clients-link").click()
    expect(page.locator("#api-clients")).to_contain_text(name)
