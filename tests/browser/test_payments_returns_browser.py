"""End to end in chromium: the bank's return file.

A locked month is paid to the demo worker's account (made through the services; the payments
journey covers the page). payroll1 opens the batch from 发放, imports the bank's return file: a
file whose amount differs is refused naming its row; the right file previews, is confirmed, and
the batch page counts one payment returned. The demo worker signs in and sees, under 我的发放,
退回 with the bank's reason.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.live import sign_in
from tests.browser.shots import PHONE, shot

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

REASON = "账户已冻结"


@pytest.fixture(scope="module")
def paid_batch(live, demo_worker):
    """The month after the last batch (or the oldest) in which the demo worker is paid, locked
    and paid to an account; returns (month, account number, amount)."""
    import sqlalchemy as sa  # the live server's app exists once the fixtures ran

    from app.extensions import db
    from app.payments import queries
    from app.payments.models import PaymentLine
    from tests.browser.payroll_steps import next_month_to_pay, pay_worker_in

    with live.app.app_context():
        month = next_month_to_pay(live.paid_months(demo_worker))
        pay_worker_in(month, demo_worker.id)
        line = db.session.scalar(
            sa.select(PaymentLine).where(
                PaymentLine.batch_id == queries.batch_for(month).id, PaymentLine.worker_id == demo_worker.id
            )
        )
        assert line is not None and line.account_no, "the demo worker should be paid in the batch"
        found = (str(month), line.account_no, f"{line.paid:.2f}")
        db.session.remove()
    return found


def _csv(name: str, rows: list[str]) -> dict:
    text = "\r\n".join(["账号,金额,状态,原因", *rows]) + "\r\n"
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode("gb18030")}


def test_payroll_imports_a_return_and_the_worker_sees_it_returned_with_the_reason(
    page, live_server, demo_worker, paid_batch
):
    month, account_no, amount = paid_batch
    sign_in(page, live_server, "payroll1")
    page.click("#payments-link")
    page.click(f"a[href$='/payments/batches/{month}']")
    expect(page.locator("#results-pending")).to_be_visible()
    page.click("#import-return")

    page.set_input_files("input[name=file]", files=[_csv("回盘-错.csv", [f"{account_no},1.00,失败,{REASON}"])])
    page.click("#check-file")
    expect(page.locator("#import-errors")).to_be_visible()
    expect(page.locator("table tbody tr td:first-child").filter(has_text=re.compile(r"^2$"))).to_have_count(1)
    expect(page.locator("#confirm-import")).to_have_count(0)

    page.set_input_files("input[name=file]", files=[_csv("回盘.csv", [f"{account_no},{amount},失败,{REASON}"])])
    page.click("#check-file")
    expect(page.locator("#import-preview")).to_be_visible()
    shot(page, "payments-return-preview")
    page.click("#confirm-import")
    expect(page.locator("#job-done")).to_be_visible()
    page.click("#job-continue")
    page.click(f"a[href$='/payments/batches/{month}']")
    returned = page.locator("#results-returned td")
    expect(returned.nth(0)).to_have_text("1")
    expect(returned.nth(1)).to_have_text(amount)
    expect(page.locator("#returns")).to_contain_text(REASON)
    expect(page.locator("#batch-lines tr", has_text=demo_worker.name).first).to_contain_text("退回")
    shot(page, "payments-returns")

    page.context.clear_cookies()
    sign_in(page, live_server, "worker")
    page.click("#my-payments-link")
    row = page.locator("#my-payments tr", has_text=month)
    expect(row).to_contain_text(f"退回（{REASON}）")
    shot(page, "payments-mine-returned")
    # on a phone each month is a card, each figure under its label, the bank's answer full width
    page.set_viewport_size(PHONE)
    result = row.locator("td.bank-result")
    expect(page.locator("#my-payments thead")).to_be_hidden()
    expect(result).to_have_attribute("data-label", "银行结果")
    assert result.bounding_box()["width"] > 0.7 * PHONE["width"]
    expect(row.locator('td[data-label="净额"]')).to_be_visible()
