"""End to end in chromium: a month's allowance from computing to the worker's statement.

payroll1 computes a month and submits it; payroll2 (a second officer) approves and locks it and
downloads the XLSX for the finance office; the demo worker signs in with their ID number and
reads that month's statement, formula included.
"""

import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.live import PaidMonth, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

# The zh label, or the English source while the catalog lacks it.
STATE = {
    "draft": re.compile("草稿|Draft"),
    "submitted": re.compile("已提交|Submitted"),
    "approved": re.compile("已审批|Approved"),
    "locked": re.compile("已锁定|Locked"),
}
COMPUTE_TIMEOUT = 60_000  # the whole month is computed within the request (eager Celery)


@pytest.fixture(scope="module")
def paid_month(live, demo_worker) -> PaidMonth:
    """A past month in which the demo worker is paid in full. The live server is shared by the
    session, so a month another test has computed already is left alone: the test does not
    depend on the order the tests run in."""
    months = live.paid_months(demo_worker)
    assert months, "the demo worker should be paid in full in some month"
    return months[0]


def expect_state(page, state: str) -> None:
    expect(page.locator("#run-state")).to_have_text(STATE[state])


def test_payroll_computes_approves_locks_and_the_worker_reads_the_statement(
    page, live_server, demo_worker, paid_month, tmp_path
):
    m = paid_month.month
    run_url = f"{live_server}/allowance/runs/{m}"

    # payroll1 computes the month and submits it.
    sign_in(page, live_server, "payroll1")
    page.goto(f"{live_server}/allowance/")
    page.fill("#compute-month", m)
    page.click("#compute", timeout=COMPUTE_TIMEOUT)
    expect(page).to_have_url(run_url, timeout=COMPUTE_TIMEOUT)
    expect(page.locator("#progress")).to_have_count(0, timeout=COMPUTE_TIMEOUT)  # refreshes until done
    expect_state(page, "draft")
    # The demo worker's line is among the lines with an amount, with its formula.
    page.fill("input[name=q]", demo_worker.name)
    page.press("input[name=q]", "Enter")
    expect(page).to_have_url(re.compile(r"[?&]q="))
    row = page.locator("#lines-table tbody tr").filter(has_text=paid_month.formula)
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text(demo_worker.name)
    page.click("#submit-run")
    expect_state(page, "submitted")
    # Approving is for a second officer: the one who submitted it is refused.
    page.click("#approve-run")
    expect(page.locator(".alert-danger")).to_be_visible()
    expect_state(page, "submitted")
    page.context.clear_cookies()  # sign out without the menu

    # payroll2 approves and locks it.
    sign_in(page, live_server, "payroll2")
    page.goto(run_url)
    expect_state(page, "submitted")
    page.click("#approve-run")
    expect_state(page, "approved")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#lock-run")
    expect_state(page, "locked")
    grand_total = Decimal(page.locator("#grand-total").inner_text().strip())

    # ... and downloads the list for the finance office.
    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert download.suggested_filename == f"allowance-{m}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    id_col, name_col, amount_col = header.index("身份证号"), header.index("姓名"), header.index("金额")
    mine = [r for r in rows if r[id_col] == demo_worker.id_number]
    assert len(mine) == 1, "the full ID number is in the list, once"
    assert mine[0][name_col] == demo_worker.name
    assert Decimal(str(mine[0][amount_col])) == paid_month.rate
    totals = [r for r in rows if r[name_col] == "总计"]
    assert len(totals) == 1, "one grand-total row"
    assert totals[0] is rows[-1]
    assert Decimal(str(totals[0][amount_col])) == grand_total
    page.context.clear_cookies()

    # The worker signs in with the ID number and reads the month's statement.
    sign_in(page, live_server, demo_worker.id_number)
    page.goto(f"{live_server}/allowance/me")
    statement = page.locator(".statement").filter(has=page.locator(".card-header", has_text=m))
    expect(statement).to_have_count(1)
    expect(statement.locator(".list-group-item").filter(has_text=paid_month.formula)).to_have_count(1)
