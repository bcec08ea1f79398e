"""End to end in chromium: a coordinator renames a worker; the admin reads the audit log in words,
narrows it down with the filters, and follows the entry to the worker's page."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.core.identity import mask_id_number
from tests.browser.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

NEW_NAME = "审计员"


def _a_worker_of_yuzhong(app, demo_worker):
    """A worker of 渝中区 other than the demo worker (other browser tests look that one up by name)."""
    from app.extensions import db
    from app.places.models import District
    from app.workers.models import Worker

    with app.app_context():
        worker = db.session.scalar(
            sa.select(Worker)
            .join(District, District.id == Worker.district_id)
            .where(District.code == "500103", Worker.id != demo_worker.id)
            .order_by(Worker.id.desc())
            .limit(1)
        )
        found = (worker.id, worker.name, worker.id_number)
        db.session.remove()
        return found


def _sign_out(page) -> None:
    page.click("#user-menu")
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))


def test_admin_reads_the_log_filters_it_and_follows_a_link_to_the_record(page, live_server, app, demo_worker):
    worker_id, old_name, id_number = _a_worker_of_yuzhong(app, demo_worker)

    # The coordinator of 渝中区 corrects the worker's name.
    sign_in(page, live_server, "coord_yz")
    page.goto(f"{live_server}/workers/{worker_id}")
    page.locator(f'a[href="/workers/{worker_id}/edit"]').click()
    page.fill("input[name=name]", NEW_NAME)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#worker-name")).to_contain_text(NEW_NAME)
    _sign_out(page)

    # The admin opens the audit log from the menu.
    sign_in(page, live_server, "admin")
    page.locator("#admin-menu").click()
    page.get_by_role("link", name="审计日志").click()
    expect(page.locator("h1")).to_have_text("审计日志")
    expect(page.locator("#audit-table thead")).to_contain_text("时间（北京时间）")

    # Only changes to workers' records, by the coordinator, mentioning the new name.
    page.select_option("select[name=entity]", label="社区工作者")
    page.select_option("select[name=action]", label="修改")
    page.fill("input[name=user]", "coord_yz")
    page.fill("input[name=q]", NEW_NAME)
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"entity=worker"))
    rows = page.locator("#audit-table tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_contain_text(f"姓名：{old_name} → {NEW_NAME}")
    expect(row).to_contain_text("修改")
    expect(row).to_contain_text("coord_yz")
    assert "\\u" not in page.content() and id_number not in page.content()

    # The record is named in words and leads to the worker's page.
    link = row.locator("a.audit-record")
    expect(link).to_have_text(f"{NEW_NAME}（{mask_id_number(id_number)}）")
    link.click()
    expect(page).to_have_url(f"{live_server}/workers/{worker_id}")
    expect(page.locator("#worker-name")).to_contain_text(NEW_NAME)
