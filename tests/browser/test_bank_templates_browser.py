"""End to end in chromium: a bank file template for another bank.

The demo worker is paid in a payment batch (an existing one, else the next paid month locked and
paid through the services; the payments journey covers those pages). The admin opens 发放 →
代发文件模板 → 新增模板, which starts as the default layout; without the amount column the page
refuses it and names the column; with the amount first (header 交易金额), then the account number
and the name, as XLSX with a totals row, it is saved and listed. payroll1 opens the batch, chooses
the template beside the download button and downloads an XLSX laid out that way, twice the same.
"""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.live import sign_in
from tests.browser.shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

NAME = "建行代发-测试"


def _paid_in(live, demo_worker):
    """The latest batch paying the demo worker: (month, account number, amount paid)."""
    import sqlalchemy as sa  # test-only: the live server's app is built by the fixtures

    from app.extensions import db
    from app.payments.models import Outcome, PaymentBatch, PaymentLine

    with live.app.app_context():
        row = db.session.execute(
            sa.select(PaymentBatch.month, PaymentLine.account_no, PaymentLine.paid)
            .join(PaymentLine, PaymentLine.batch_id == PaymentBatch.id)
            .where(PaymentLine.worker_id == demo_worker.id, PaymentLine.outcome == Outcome.paid)
            .order_by(PaymentBatch.month.desc())
            .limit(1)
        ).first()
        db.session.remove()
    return None if row is None else (f"{row.month:%Y-%m}", row.account_no, row.paid)


@pytest.fixture(scope="module")
def paid_month(live, demo_worker):
    found = _paid_in(live, demo_worker)
    if found is not None:
        return found
    from app.extensions import db  # the live server's app exists once the fixtures ran
    from tests.browser.payroll_steps import next_month_to_pay, pay_worker_in

    with live.app.app_context():
        pay_worker_in(next_month_to_pay(live.paid_months(demo_worker)), demo_worker.id)
        db.session.remove()
    found = _paid_in(live, demo_worker)
    assert found is not None, "the demo worker should be paid in the batch"
    return found


def _download(page) -> bytes:
    with page.expect_download() as info:
        page.click("#download-bank-file")
    download = info.value
    assert download.suggested_filename.endswith(f"-{NAME}.xlsx")
    return Path(download.path()).read_bytes()


def test_admin_adds_a_template_and_payroll_downloads_the_batch_with_it(page, live_server, demo_worker, paid_month):
    month, account_no, paid = paid_month
    sign_in(page, live_server, "admin")
    page.click("#payments-link")
    page.click("#bank-templates-link")
    expect(page.locator("#bank-templates-table")).to_contain_text("序号 | 户名 | 账号 | 金额")
    page.click("#new-bank-template")
    expect(page.locator("#use-amount")).to_be_checked()  # a new template starts as the default layout
    page.fill("input[name=name]", NAME)
    for key in ("seq", "bank", "id_number", "memo", "amount"):
        page.uncheck(f"#use-{key}")
    page.click("#save-bank-template")
    expect(page.locator("#error-summary")).to_contain_text("金额")
    page.check("#use-amount")
    page.fill("#order-amount", "1")
    page.fill("#header-amount", "交易金额")
    page.fill("#order-account_no", "2")
    page.fill("#order-name", "3")
    page.select_option("select[name=file_format]", "xlsx")
    page.check("input[name=totals_row]")
    shot(page, "bank-template-form")
    page.click("#save-bank-template")
    row = page.locator("#bank-templates-table tr", has_text=NAME)
    expect(row).to_contain_text("交易金额 | 账号 | 户名")
    shot(page, "bank-templates")

    page.context.clear_cookies()
    sign_in(page, live_server, "payroll1")
    page.click("#payments-link")
    page.click(f"#batches-table a:text-is('{month}')")
    page.select_option("#bank-template", label=NAME)
    first = _download(page)
    assert _download(page) == first  # made again: the same bytes
    rows = [list(r) for r in load_workbook(io.BytesIO(first)).active.iter_rows(values_only=True)]
    assert rows[0] == ["交易金额", "账号", "户名"]
    assert [Decimal(f"{paid:.2f}"), account_no, demo_worker.name] in [
        [Decimal(f"{r[0]:.2f}"), r[1], r[2]] for r in rows[1:-1]
    ]
    assert rows[-1][1] == "合计"
    assert Decimal(f"{rows[-1][0]:.2f}") == sum(Decimal(f"{r[0]:.2f}") for r in rows[1:-1])
