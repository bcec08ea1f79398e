"""End to end in chromium: statements (工资条).

The demo worker is in a payment batch (made through the services when no batch has them yet; the
payments journey covers the pages). They open 我的发放 from the menu, click the month, read their
statement (name, lines with formulas, net, status) and download it as a PDF whose text names them,
the month and the net. payroll1 opens the batch from 发放, goes to its statements and downloads the
demo worker's district as one PDF with a page per worker of the district.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.live import sign_in
from tests.browser.shots import shot
from tests.payments.test_statements import pdf_pages

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]


def _batch_with(live, demo_worker):
    """The latest batch the demo worker is in: (month, net, district code, workers of the district)."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.payments.models import PaymentBatch, PaymentLine
    from app.places.models import District

    with live.app.app_context():
        row = db.session.execute(
            sa.select(PaymentBatch, PaymentLine)
            .join(PaymentLine, PaymentLine.batch_id == PaymentBatch.id)
            .where(PaymentLine.worker_id == demo_worker.id)
            .order_by(PaymentBatch.month.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        batch, line = row
        district = db.session.get(District, line.district_id)
        count = db.session.scalar(
            sa.select(sa.func.count()).where(PaymentLine.batch_id == batch.id, PaymentLine.district_id == district.id)
        )
        found = (f"{batch.month:%Y-%m}", f"{line.net:.2f}", district.code, count)
        db.session.remove()
    return found


@pytest.fixture(scope="module")
def batch_month(live, demo_worker):
    """A batch the demo worker is in: an existing one, else the next paid month locked and paid."""
    found = _batch_with(live, demo_worker)
    if found is not None:
        return found
    from app.extensions import db  # the live server's app exists once the fixtures ran
    from tests.browser.payroll_steps import next_month_to_pay, pay_worker_in

    with live.app.app_context():
        pay_worker_in(next_month_to_pay(live.paid_months(demo_worker)), demo_worker.id)
        db.session.remove()
    return _batch_with(live, demo_worker)


def test_the_worker_opens_their_statement_and_downloads_it(page, live_server, demo_worker, batch_month):
    month, net, _code, _count = batch_month
    sign_in(page, live_server, "worker")
    page.click("#my-payments-link")
    page.locator("#my-payments a.statement-link", has_text=month).click()
    expect(page.locator("#statement-month")).to_contain_text(month)
    expect(page.locator("#statement-name")).to_have_text(demo_worker.name)
    expect(page.locator("#statement-net")).to_have_text(net)
    expect(page.locator("#statement-lines tbody tr").first).to_contain_text("×")  # a formula: rate × days
    expect(page.locator("#statement")).not_to_contain_text(demo_worker.id_number)
    shot(page, "statement")
    page.emulate_media(media="print")  # the print stylesheet: the statement alone, no menu or buttons
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("#download-statement-pdf")).to_be_hidden()
    expect(page.locator("#statement")).to_be_visible()
    shot(page, "statement-print", phone=False)
    page.emulate_media(media="screen")
    with page.expect_download() as info:
        page.click("#download-statement-pdf")
    download = info.value
    assert download.suggested_filename == f"statement-{month}-mine.pdf"
    (text,) = pdf_pages(Path(download.path()).read_bytes())
    assert demo_worker.name in text and month in text and net in text


def test_payroll_downloads_a_districts_statements_as_one_pdf(page, live_server, demo_worker, batch_month):
    month, _net, code, count = batch_month
    sign_in(page, live_server, "payroll1")
    page.click("#payments-link")
    page.click(f"#batches-table a:text-is('{month}')")
    page.click("#statements-link")
    row = page.locator("#statement-districts tr", has=page.locator(f"#district-pdf-{code}"))
    expect(row).to_contain_text(str(count))
    shot(page, "statements-district")
    with page.expect_download(timeout=60_000) as info:
        page.click(f"#district-pdf-{code}")
    download = info.value
    assert download.suggested_filename == f"statement-{month}-{code}.pdf"
    pages = pdf_pages(Path(download.path()).read_bytes())
    assert len(pages) == count
    assert sum(demo_worker.name in p for p in pages) >= 1
    assert all(month in p for p in pages)
