"""End to end in chromium: a month's allowance from computing to the worker's statement.

payroll1 computes a month, holds one worker's allowance, recomputes, reviews the district totals
and submits it, and is not offered the approval; payroll2 (a second officer) sees the request to
approve, approves (the request goes away), locks, and downloads the XLSX for the finance office
and the CSV for the bank; the demo worker signs in with their ID number and reads that month's
statement. A draft is discarded through its confirmation page. The admin adds a rate and ends it.
"""

import csv
import re
from datetime import timedelta
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
REASON = "档案核查"


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


def compute(page, base_url: str, month: str) -> None:
    """From the runs list: compute a month and wait until the run page has every line."""
    page.goto(f"{base_url}/allowance/")
    page.fill("#compute-month", month)
    page.click("#compute", timeout=COMPUTE_TIMEOUT)
    expect(page).to_have_url(f"{base_url}/allowance/runs/{month}", timeout=COMPUTE_TIMEOUT)
    expect(page.locator("#progress")).to_have_count(0, timeout=COMPUTE_TIMEOUT)  # refreshes until done
    expect_state(page, "draft")


def another_paid_worker(live, month: str, demo_worker) -> tuple[str, str]:
    """(ID number, name) of a worker other than the demo worker with an amount in the month."""
    import sqlalchemy as sa

    from app.allowance.models import AllowanceLine, AllowanceRun
    from app.allowance.rules import Month
    from app.extensions import db
    from app.workers.models import Worker

    with live.app.app_context():
        row = db.session.execute(
            sa.select(Worker.id_number, Worker.name)
            .join(AllowanceLine, AllowanceLine.worker_id == Worker.id)
            .join(AllowanceRun, AllowanceRun.id == AllowanceLine.run_id)
            .where(
                AllowanceRun.month == Month.parse(month).first,
                AllowanceLine.amount > 0,
                Worker.id != demo_worker.id,
                Worker.name != demo_worker.name,
            )
            .order_by(Worker.id)
            .limit(1)
        ).one()
        db.session.remove()
        return row.id_number, row.name


def money(text: str) -> Decimal:
    return Decimal(text.strip().replace(",", ""))


def test_payroll_computes_holds_submits_a_second_officer_approves_locks_and_exports(
    page, live, live_server, demo_worker, paid_month, tmp_path
):
    m = paid_month.month
    run_url = f"{live_server}/allowance/runs/{m}"

    # payroll1 computes the month; the demo worker's line is there, with its formula.
    sign_in(page, live_server, "payroll1")
    compute(page, live_server, m)
    page.fill("input[name=q]", demo_worker.name)
    page.press("input[name=q]", "Enter")
    expect(page).to_have_url(re.compile(r"[?&]q="))
    row = page.locator("#lines-table tbody tr").filter(has_text=paid_month.formula)
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text(demo_worker.name)

    # ... holds another worker's allowance for the month, and computes again.
    held_id, held_name = another_paid_worker(live, m, demo_worker)
    page.goto(f"{live_server}/allowance/")
    page.click("#holds-link")
    page.fill("input[name=id_number]", held_id)
    page.fill("input[name=month]", m)
    page.fill("input[name=reason]", REASON)
    page.click("#save-hold")
    expect(page.locator(".alert-success")).to_be_visible()
    page.goto(run_url)
    page.click("#recompute", timeout=COMPUTE_TIMEOUT)
    expect(page.locator("#progress")).to_have_count(0, timeout=COMPUTE_TIMEOUT)
    page.select_option("select[name=show]", "held")
    held_row = page.locator("#lines-table tbody tr").filter(has_text=held_name)
    expect(held_row).to_have_count(1)
    expect(held_row).to_contain_text(REASON)

    # ... reviews the district totals: the total row is the month's total.
    grand_total = money(page.locator("#grand-total").inner_text())
    page.get_by_role("link", name=re.compile("按区县|By district")).click()
    expect(page.locator("#totals-total")).to_be_visible()
    assert money(page.locator("#totals-total td").nth(2).inner_text()) == grand_total

    # ... and submits it. Approving is for a second officer: payroll1 is not offered the button.
    page.click("#submit-run")
    expect_state(page, "submitted")
    expect(page.locator("#approve-run")).to_have_count(0)
    expect(page.locator("#approve-elsewhere")).to_be_visible()
    page.context.clear_cookies()  # sign out without the menu

    # payroll2 has been asked to approve it ...
    sign_in(page, live_server, "payroll2")
    page.click("#notices-link")
    request = page.locator("#notices li").filter(has_text=m).filter(has_text="payroll1")
    expect(request).to_have_count(1)
    expect(request).to_have_class(re.compile("fw-bold"))  # unread
    # ... approves it, and the request is no longer waiting.
    page.goto(run_url)
    expect_state(page, "submitted")
    page.click("#approve-run")
    expect_state(page, "approved")
    page.click("#notices-link")
    expect(request).to_have_count(1)
    expect(request).not_to_have_class(re.compile("fw-bold"))
    page.goto(run_url)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#lock-run")
    expect_state(page, "locked")
    grand_total = money(page.locator("#grand-total").inner_text())

    # The timeline says who did what.
    timeline = page.locator("#timeline")
    for kind, who in (
        ("computed", "payroll1"),
        ("submitted", "payroll1"),
        ("approved", "payroll2"),
        ("locked", "payroll2"),
    ):
        expect(timeline.locator(f'li[data-kind="{kind}"]').last).to_contain_text(who)

    # payroll2 downloads the list for the finance office ...
    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert download.suggested_filename == f"allowance-{m}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = load_workbook(path).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    year, month = m.split("-")
    assert f"{year}年{month}月" in rows[0][0] and "已锁定" in rows[0][0]
    assert "payroll2" in rows[1][0]
    header = rows[2]
    id_col, name_col, amount_col, formula_col = (header.index(h) for h in ("身份证号", "姓名", "金额", "计算公式"))
    lines = [r for r in rows[3:] if len(r) > formula_col and re.fullmatch(r"\d{17}[\dX]", str(r[id_col] or ""))]
    mine = [r for r in lines if r[id_col] == demo_worker.id_number]
    assert len(mine) == 1, "the full ID number is in the list, once"
    assert mine[0][name_col] == demo_worker.name
    assert Decimal(str(mine[0][amount_col])) == paid_month.rate
    (held,) = [r for r in lines if r[id_col] == held_id]
    assert Decimal(str(held[amount_col])) == 0 and held[formula_col] == f"暂停发放：{REASON}"
    totals = [r for r in rows if len(r) > name_col and r[name_col] == "总计"]
    assert len(totals) == 1, "one grand-total row"
    assert Decimal(str(totals[0][amount_col])) == grand_total
    assert re.fullmatch(r"\d+人", totals[0][id_col])
    assert sheet.freeze_panes == "A4" and sheet.auto_filter.ref.startswith("A3:")

    # ... and the file for the bank: the lines alone, the held one included.
    with page.expect_download() as info:
        page.click("#export-csv")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        bank = list(csv.reader(handle))
    assert bank[0][0] == "月份"
    ids = [r[6] for r in bank[1:]]
    assert demo_worker.id_number in ids and held_id in ids
    (held,) = [r for r in bank[1:] if r[6] == held_id]
    assert held[12] == "0.00" and held[15] == f"暂停发放：{REASON}"
    assert sum(Decimal(r[12]) for r in bank[1:]) == grand_total
    assert not any("总计" in r for r in bank)
    page.context.clear_cookies()

    # The worker signs in with the ID number and reads the month's statement.
    sign_in(page, live_server, demo_worker.id_number)
    page.goto(f"{live_server}/allowance/me")
    statement = page.locator(".statement").filter(has=page.locator(".card-header", has_text=m))
    expect(statement).to_have_count(1)
    expect(statement.locator(".list-group-item").filter(has_text=paid_month.formula)).to_have_count(1)


def test_a_draft_is_discarded_after_its_confirmation(page, live, live_server, demo_worker):
    months = live.paid_months(demo_worker)  # months without a run yet
    assert months
    m = months[-1].month
    sign_in(page, live_server, "payroll1")
    compute(page, live_server, m)
    page.click("#discard-run")
    expect(page.locator("#confirm-discard")).to_be_visible()
    page.click("#confirm-discard")
    expect(page).to_have_url(f"{live_server}/allowance/")
    expect(page.locator(".alert-success")).to_contain_text(m)
    expect(page.locator("#runs-table").get_by_role("link", name=m, exact=True)).to_have_count(0)
    assert m in [p.month for p in live.paid_months(demo_worker)]  # it can be computed again


def test_the_admin_adds_a_rate_and_ends_it(page, live_server):
    from app.core.timeutil import local_today

    start = local_today() + timedelta(days=400)  # in the future: no month computed here changes
    end = start + timedelta(days=30)
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/allowance/")
    page.click("#rates-link")
    page.select_option("select[name=rate-level]", "senior")
    page.select_option("select[name=rate-district]", index=1)
    page.fill("input[name=rate-amount]", "555")
    page.fill("input[name=rate-valid_from]", start.isoformat())
    page.click("#add-rate")
    expect(page.locator(".alert-success")).to_be_visible()
    row = page.locator("#rates-table tbody tr").filter(has_text="555.00").filter(has_text=start.isoformat())
    expect(row).to_have_count(1)

    row.get_by_role("link").click()
    page.fill("input[name=end-valid_to]", end.isoformat())
    page.click("#save-end")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(4)).to_have_text(end.isoformat())
