"""End to end in chromium: a coordinator finds a worker and reads the full ID number; the
worker signs in with that ID number and sees the same record."""

import re

import pytest
from playwright.sync_api import expect

from app.core.identity import mask_id_number
from tests.browser.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]


def sign_out(page) -> None:
    page.click("#user-menu")
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("#user-menu")).to_have_count(0)


def test_coordinator_and_worker_see_the_same_full_id_number(page, live_server, demo_worker):
    masked = mask_id_number(demo_worker.id_number)
    assert "********" in masked

    # The coordinator of 渝中区 searches the worker by name.
    sign_in(page, live_server, "coord_yz")
    page.goto(f"{live_server}/workers/")
    page.fill("#q", demo_worker.name)
    page.click("#search-button")
    expect(page).to_have_url(re.compile(r"[?&]q="))
    record_link = f'a[href="/workers/{demo_worker.id}"]'
    row = page.locator("#worker-table tbody tr").filter(has=page.locator(record_link))
    expect(row).to_have_count(1)
    link = row.locator(record_link)
    expect(link).to_have_text(demo_worker.name)
    # The list shows the ID number masked, never in full.
    expect(row.locator("td.id-number")).to_have_text(masked)
    assert demo_worker.id_number not in page.content()

    # The record shows it in full.
    link.click()
    expect(page).to_have_url(f"{live_server}/workers/{demo_worker.id}")
    expect(page.locator("#worker-name")).to_contain_text(demo_worker.name)
    expect(page.locator("#full-id-number")).to_have_text(demo_worker.id_number)
    sign_out(page)

    # The worker signs in with the ID number (not the user name) and sees the same record.
    sign_in(page, live_server, demo_worker.id_number)
    page.goto(f"{live_server}/workers/me")
    expect(page.locator("#worker-name")).to_contain_text(demo_worker.name)
    expect(page.locator("#full-id-number")).to_have_text(demo_worker.id_number)
    assert "********" not in page.content()
