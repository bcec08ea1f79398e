"""The screenshot tour up to the allowance: the registry, exams and admin pages (coordinator,
worker, admin), then a month's allowance computed, approved and locked by two payroll officers."""

from playwright.sync_api import Page, expect

from scripts.screenshots_kit import Camera, posts_csv, results_csv
from tests.browser.live import sign_in

COMPUTE_TIMEOUT = 120_000  # the month is computed within the request (eager Celery)


def registry_and_exams(camera: Camera, base: str, server, demo) -> None:
    """The sign-in page; the registry and exams as the city coordinator; "my record" as the demo
    worker; the audit log and exam years as the admin."""
    page = camera.new_page()
    page.goto(f"{base}/login")
    camera.shoot(page, "login")

    page = camera.new_page()
    sign_in(page, base, "coord_city")
    page.goto(f"{base}/workers/")
    expect(page.locator("#worker-table")).to_be_visible()
    camera.shoot(page, "worker-list")
    page.goto(f"{base}/workers/{demo.id}")
    expect(page.locator("#full-id-number")).to_have_text(demo.id_number)
    camera.shoot(page, "worker-detail")
    page.goto(f"{base}/workers/import")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "posts.csv", "mimeType": "text/csv", "buffer": posts_csv(server.app)}],
    )
    page.click("#check-file")
    expect(page.locator("#import-errors")).to_be_visible()
    camera.shoot(page, "posts-import-errors")
    page.goto(f"{base}/exams/")
    expect(page.locator("#expiring-table")).to_be_visible()
    expect(page.locator("#at-risk-table")).to_be_visible()
    camera.shoot(page, "exams-overview", full_page=True)
    page.goto(f"{base}/workers/{demo.id}")
    expect(page.locator("#qualifications tbody tr")).not_to_have_count(0)
    expect(page.locator("#ce")).to_be_visible()
    camera.shoot(page, "worker-qualifications", full_page=True)
    page.goto(f"{base}/exams/import/results")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "results.csv", "mimeType": "text/csv", "buffer": results_csv(demo)}],
    )
    page.click("#check-file")
    expect(page.locator("#import-errors")).to_be_visible()
    camera.shoot(page, "results-import-errors")

    page = camera.new_page()
    sign_in(page, base, demo.id_number)
    page.goto(f"{base}/workers/me")
    expect(page.locator("#full-id-number")).to_have_text(demo.id_number)
    camera.shoot(page, "my-record")

    page = camera.new_page()
    sign_in(page, base, "admin")
    page.goto(f"{base}/admin/audit/")
    expect(page.locator("#audit-table")).to_be_visible()
    camera.shoot(page, "audit-log")
    page.goto(f"{base}/exams/years")
    expect(page.get_by_role("cell", name="2025", exact=True)).to_be_visible()
    camera.shoot(page, "exam-years")


def allowance(camera: Camera, base: str, server, demo) -> None:
    """An older month locked by two payroll officers (so the worker has a statement), the newer
    one computed and left a draft for review; the worker's statement."""
    months = server.paid_months(demo)
    if len(months) < 2:
        raise RuntimeError("the demo worker should be paid in full in two months")
    draft, locked = months[0].month, months[1].month
    payroll1 = camera.new_page()
    sign_in(payroll1, base, "payroll1")
    compute_month(payroll1, base, locked)
    payroll1.click("#submit-run")
    expect(payroll1.locator("#approve-elsewhere")).to_be_visible()  # a second officer approves
    payroll2 = camera.new_page()
    sign_in(payroll2, base, "payroll2")
    payroll2.goto(f"{base}/allowance/runs/{locked}")
    payroll2.click("#approve-run")
    payroll2.once("dialog", lambda dialog: dialog.accept())
    payroll2.click("#lock-run")
    expect(payroll2.locator("#export-xlsx")).to_be_visible()
    compute_month(payroll1, base, draft)
    expect(payroll1.locator("#lines-table tbody tr")).not_to_have_count(0)
    camera.shoot(payroll1, "allowance-run", full_page=True)
    payroll1.goto(f"{base}/allowance/runs/{draft}?view=districts")
    expect(payroll1.locator("table tbody tr")).not_to_have_count(0)
    camera.shoot(payroll1, "allowance-districts", full_page=True)
    payroll1.goto(f"{base}/allowance/")
    expect(payroll1.locator("#runs-table tbody tr")).to_have_count(2)
    camera.shoot(payroll1, "allowance-runs")

    page = camera.new_page()
    sign_in(page, base, demo.id_number)
    page.goto(f"{base}/allowance/me")
    expect(page.locator(".statement")).to_have_count(1)
    camera.shoot(page, "allowance-statement")


def compute_month(page: Page, base: str, month: str) -> None:
    """Compute a month from the runs list and wait for its run page, computed."""
    page.goto(f"{base}/allowance/")
    page.fill("#compute-month", month)
    page.click("#compute", timeout=COMPUTE_TIMEOUT)
    expect(page).to_have_url(f"{base}/allowance/runs/{month}", timeout=COMPUTE_TIMEOUT)
    expect(page.locator("#progress")).to_have_count(0, timeout=COMPUTE_TIMEOUT)
    expect(page.locator("#submit-run")).to_be_visible()
