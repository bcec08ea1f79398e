"""Screenshots of the main pages for the documentation, in the Chinese UI.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Starts a live server on a fresh database loaded with the demo data (PostgreSQL when it is
reachable, else SQLite in a temporary directory; see tests/browser/live.py), drives Debian's
chromium with Playwright and writes one PNG per page, 1280 wide (800 high, or the whole page
for the long ones). The translation catalogs are compiled from the .po files into the temporary
directory, so the pictures show the current translations whether or not `make translations` has
been run.
"""

import argparse
import csv
import io
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1280, "height": 800}
DB_NAME = "socialwork_screenshots"


def compile_catalogs(dest: Path) -> None:
    """Compile app/translations/*/LC_MESSAGES/messages.po into dest, like `pybabel compile`."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    source = ROOT / "app" / "translations"
    for po in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        locale = po.relative_to(source).parts[0]
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        missing = sum(1 for m in catalog if m.id and (m.fuzzy or not all(m.string if m.pluralizable else [m.string])))
        mo = dest / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as f:
            write_mo(f, catalog)
        if not locale.startswith("en"):  # English is the source language: its catalog stays empty
            print(f"catalog {locale}: {len(catalog) - missing} translated, {missing} untranslated or fuzzy")


def posts_csv(app) -> bytes:
    """A small posts file: one good row and one bad row (a wrong check digit, an unknown post)."""
    from datetime import date

    import sqlalchemy as sa

    from app.core.identity import make_id_number
    from app.extensions import db
    from app.places.models import Community

    with app.app_context():
        code = db.session.scalar(
            sa.select(Community.code).where(Community.code.like("500103%")).order_by(Community.code)
        )
        db.session.remove()
    good = make_id_number("500103", date(1991, 3, 8), 21)
    other = make_id_number("500103", date(1988, 11, 2), 35)
    bad = other[:-1] + ("0" if other[-1] != "0" else "1")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["身份证号", "姓名", "手机号", "社区代码", "岗位", "到岗日期", "离岗日期"])
    writer.writerow([good, "周晓梅", "13800138021", code, "专职工作人员", "2024-03-01", ""])
    writer.writerow([bad, "陈建国", "13800138035", code, "主席", "2024-03-01", ""])
    return out.getvalue().encode("utf-8")


def results_csv(demo) -> bytes:
    """A small exam results file for the demo worker: one good row, a score over 100 and a year
    that is not set up."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["身份证号", "姓名", "考试年度", "科目", "成绩"])
    writer.writerow([demo.id_number, demo.name, "2025", "I1", "68.5"])
    writer.writerow([demo.id_number, demo.name, "2025", "I2", "105"])
    writer.writerow([demo.id_number, demo.name, "2031", "I3", "70"])
    return out.getvalue().encode("utf-8")


COMPUTE_TIMEOUT = 120_000  # the month is computed within the request (eager Celery)


def compute_month(page, base: str, month: str) -> None:
    """Compute a month from the runs list and wait for its run page, computed."""
    from playwright.sync_api import expect

    page.goto(f"{base}/allowance/")
    page.fill("#compute-month", month)
    page.click("#compute", timeout=COMPUTE_TIMEOUT)
    expect(page).to_have_url(f"{base}/allowance/runs/{month}", timeout=COMPUTE_TIMEOUT)
    expect(page.locator("#progress")).to_have_count(0, timeout=COMPUTE_TIMEOUT)
    expect(page.locator("#submit-run")).to_be_visible()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="where the PNGs go")
    parser.add_argument("--workers", type=int, default=300, help="how many demo workers to load")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="socialwork-screenshots-"))
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")  # before config.py is first imported
    sys.path.insert(0, str(ROOT))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from playwright.sync_api import expect, sync_playwright

    from tests.browser.live import CHROMIUM_ARGS, chromium_path, sign_in, start

    executable = chromium_path()
    if executable is None:
        print("chromium is not installed (apt-get install chromium fonts-noto-cjk)", file=sys.stderr)
        return 2
    compile_catalogs(tmp / "translations")
    server = start(DB_NAME, tmp, args.workers, BABEL_TRANSLATION_DIRECTORIES=str(tmp / "translations"))
    args.out.mkdir(parents=True, exist_ok=True)
    demo = server.demo_worker()
    base = server.url
    shots = []
    try:
        with sync_playwright() as p:
            # Chromium's own widgets (file input, date placeholders) follow its UI language,
            # which is English unless Debian's chromium-l10n is installed.
            browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)

            def new_page():
                context = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
                context.set_default_timeout(15_000)
                return context.new_page()

            def shoot(page, name: str, full_page: bool = False) -> None:
                page.evaluate("document.fonts.ready")
                path = args.out / f"{name}.png"
                page.screenshot(path=str(path), full_page=full_page)
                shots.append(path)

            page = new_page()
            page.goto(f"{base}/login")
            shoot(page, "login")

            page = new_page()
            sign_in(page, base, "coord_city")
            page.goto(f"{base}/workers/")
            expect(page.locator("#worker-table")).to_be_visible()
            shoot(page, "worker-list")
            page.goto(f"{base}/workers/{demo.id}")
            expect(page.locator("#full-id-number")).to_have_text(demo.id_number)
            shoot(page, "worker-detail")
            page.goto(f"{base}/workers/import")
            page.set_input_files(
                "input[name=file]",
                files=[{"name": "posts.csv", "mimeType": "text/csv", "buffer": posts_csv(server.app)}],
            )
            page.click("#check-file")
            expect(page.locator("#import-errors")).to_be_visible()
            shoot(page, "posts-import-errors")
            page.goto(f"{base}/exams/")
            expect(page.locator("#expiring-table")).to_be_visible()
            expect(page.locator("#at-risk-table")).to_be_visible()
            shoot(page, "exams-overview", full_page=True)
            page.goto(f"{base}/workers/{demo.id}")
            expect(page.locator("#qualifications tbody tr")).not_to_have_count(0)
            expect(page.locator("#ce")).to_be_visible()
            shoot(page, "worker-qualifications", full_page=True)
            page.goto(f"{base}/exams/import/results")
            page.set_input_files(
                "input[name=file]",
                files=[{"name": "results.csv", "mimeType": "text/csv", "buffer": results_csv(demo)}],
            )
            page.click("#check-file")
            expect(page.locator("#import-errors")).to_be_visible()
            shoot(page, "results-import-errors")

            page = new_page()
            sign_in(page, base, demo.id_number)
            page.goto(f"{base}/workers/me")
            expect(page.locator("#full-id-number")).to_have_text(demo.id_number)
            shoot(page, "my-record")

            page = new_page()
            sign_in(page, base, "admin")
            page.goto(f"{base}/admin/audit/")
            expect(page.locator("#audit-table")).to_be_visible()
            shoot(page, "audit-log")
            page.goto(f"{base}/exams/years")
            expect(page.get_by_role("cell", name="2025", exact=True)).to_be_visible()
            shoot(page, "exam-years")

            # The allowance: an older month locked by two payroll officers (so the worker has a
            # statement), the newer one computed and left a draft for review.
            months = server.paid_months(demo)
            if len(months) < 2:
                raise RuntimeError("the demo worker should be paid in full in two months")
            draft, locked = months[0].month, months[1].month
            payroll1 = new_page()
            sign_in(payroll1, base, "payroll1")
            compute_month(payroll1, base, locked)
            payroll1.click("#submit-run")
            expect(payroll1.locator("#approve-run")).to_be_visible()
            payroll2 = new_page()
            sign_in(payroll2, base, "payroll2")
            payroll2.goto(f"{base}/allowance/runs/{locked}")
            payroll2.click("#approve-run")
            payroll2.once("dialog", lambda dialog: dialog.accept())
            payroll2.click("#lock-run")
            expect(payroll2.locator("#export-xlsx")).to_be_visible()
            compute_month(payroll1, base, draft)
            expect(payroll1.locator("#lines-table tbody tr")).not_to_have_count(0)
            shoot(payroll1, "allowance-run", full_page=True)
            payroll1.goto(f"{base}/allowance/runs/{draft}?view=districts")
            expect(payroll1.locator("table tbody tr")).not_to_have_count(0)
            shoot(payroll1, "allowance-districts", full_page=True)
            payroll1.goto(f"{base}/allowance/")
            expect(payroll1.locator("#runs-table tbody tr")).to_have_count(2)
            shoot(payroll1, "allowance-runs")

            page = new_page()
            sign_in(page, base, demo.id_number)
            page.goto(f"{base}/allowance/me")
            expect(page.locator(".statement")).to_have_count(1)
            shoot(page, "allowance-statement")

            browser.close()
    finally:
        server.stop(drop=True)
        shutil.rmtree(tmp, ignore_errors=True)
    for path in shots:
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
