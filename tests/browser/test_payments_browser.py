"""End to end in chromium: paying a locked month.

A city-wide coordinator adds the demo worker's bank account from the bank accounts page (a bad
card number first, refused with its reason); payroll1 opens 发放 from the menu, makes the batch of
a locked month, sees it reconcile and the demo worker paid with the account masked, and downloads
the bank file, which names the worker with the full account number and the month's amount.
"""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.core.timeutil import local_today
from tests.browser.live import sign_in
from tests.payments.helpers import card

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]


@pytest.fixture(scope="module")
def locked_month(live, demo_worker):
    """The oldest month after the last batch (batches go in month order; another journey may
    have paid some already) without a run in which the demo worker is paid in full, computed,
    approved and locked through the allowance services (the allowance journey covers the pages)."""
    from app.extensions import db  # the live server's app exists once the fixtures ran
    from tests.browser.payroll_steps import lock_month, next_month_to_pay

    months = live.paid_months(demo_worker)
    with live.app.app_context():
        month = next_month_to_pay(months)
        lock_month(month)
        db.session.remove()
    return next(paid for paid in months if paid.month == str(month))


def _carried_in(live, month: str, worker_id: int):
    import sqlalchemy as sa

    from app.extensions import db
    from app.payments import queries
    from app.payments.models import PaymentLine

    with live.app.app_context():
        carried = db.session.scalar(
            sa.select(PaymentLine.carried_in).where(
                PaymentLine.batch_id == queries.batch_of(month).id, PaymentLine.worker_id == worker_id
            )
        )
        db.session.remove()
    return carried


def test_an_account_is_added_and_the_locked_month_is_paid_to_it(page, live, live_server, demo_worker, locked_month):
    number = card("621700", 19)
    sign_in(page, live_server, "coord_city")
    page.click("#bank-accounts-link")
    page.click("#new-account")
    page.fill("input[name=id_number]", demo_worker.id_number)
    page.select_option("select[name=bank]", label="重庆农村商业银行")
    page.fill("input[name=account_no]", number[:-1] + str((int(number[-1]) + 1) % 10))
    page.fill("input[name=valid_from]", (local_today() - timedelta(days=30)).isoformat())
    page.click("#add-account")
    expect(page.locator(".invalid-feedback")).to_contain_text("Luhn")
    page.fill("input[name=account_no]", number)
    page.click("#add-account")
    expect(page.locator("#accounts-table")).to_contain_text(f"{number[:4]} **** **** {number[-4:]}")
    expect(page.locator("#accounts-table")).not_to_contain_text(number)

    page.context.clear_cookies()
    sign_in(page, live_server, "payroll1")
    page.click("#payments-link")
    page.select_option("#batch-month", locked_month.month)
    page.click("#make-batch")
    expect(page.locator("#reconciliation")).to_contain_text("✓")
    expect(page.locator("#cumulative")).to_contain_text("✓")
    row = page.locator("#batch-lines tr", has_text=demo_worker.name).first
    expect(row).to_contain_text(f"{number[:4]} **** **** {number[-4:]}")
    expect(row).to_contain_text(f"{locked_month.rate:.2f}")

    with page.expect_download() as info:
        page.click("#download-bank-file")
    download = info.value
    assert download.suggested_filename == f"payments-{locked_month.month}.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_bytes().decode("gb18030"))))
    assert rows[0] == ["序号", "户名", "账号", "金额", "开户行", "身份证号", "摘要"]
    year, month = locked_month.month.split("-")
    # the month's rate, plus a payment the bank returned in an earlier batch (the returns journey,
    # when it ran first), which this batch pays again
    paid = locked_month.rate + _carried_in(live, locked_month.month, demo_worker.id)
    assert [demo_worker.name, number, f"{paid:.2f}", "重庆农村商业银行", demo_worker.id_number] in [
        r[1:6] for r in rows[1:]
    ]
    assert all(r[6] == f"{year}年{month}月职业津贴" for r in rows[1:])
