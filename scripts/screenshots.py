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


def in_post(app, district_code: str) -> list[tuple[str, str]]:
    """(name, ID number) of a district's workers in post today, whom "enrol them" picks by district."""
    import sqlalchemy as sa

    from app.core.timeutil import local_today
    from app.extensions import db
    from app.places.models import District
    from app.workers.models import Worker

    today = local_today()
    with app.app_context():
        rows = db.session.execute(
            sa.select(Worker.name, Worker.id_number)
            .join(District, District.id == Worker.district_id)
            .where(
                District.code == district_code,
                Worker.post_start <= today,
                sa.or_(Worker.post_end.is_(None), Worker.post_end >= today),
            )
            .order_by(Worker.id)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def local_at(days: int, hour: int, minute: int = 0):
    """Beijing time, `days` from today at hour:minute."""
    from datetime import datetime, timedelta

    from app.core.timeutil import LOCAL_TZ

    day = datetime.now(LOCAL_TZ).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ)


def enrol_district(page, district: str) -> None:
    """On a session page: enrol everyone in post in a district ("enrol them")."""
    from playwright.sync_api import expect

    page.select_option("select[name='bulk-district']", label=district)
    page.click("#enrol-bulk")  # the count of who matches first, then confirm
    page.click("#confirm-bulk")
    expect(page.locator(".alert-success, .alert-warning").first).to_be_visible()


def mark_roster(page, marks: list[str]) -> None:
    """On a meeting's roster: mark row i with marks[i] (present, late, absent; "" leaves it)."""
    import re

    from playwright.sync_api import expect

    styles = {"present": "success", "late": "warning", "absent": "danger"}
    rows = page.locator("#roster-table tbody tr")
    for i, value in enumerate(marks[: rows.count()]):
        if not value:
            continue
        button = rows.nth(i).locator(f"button[value={value}]")
        button.click()
        expect(button).to_have_class(re.compile(rf"\bbtn-{styles[value]}\b"))


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

    from tests.browser.live import (
        CHROMIUM_ARGS,
        chromium_path,
        create_course,
        create_session,
        enrol_by_id_number,
        meeting_now,
        sign_in,
        start,
    )

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
            expect(payroll1.locator("#approve-elsewhere")).to_be_visible()  # a second officer approves
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

            # Training, by the coordinator of 渝中区: a course whose first session is over and
            # completed (its attendance marked on the rosters), a pre-exam course with a session
            # under way (a meeting now, more in the next days; full, with a waitlist), and a
            # second session of the first course open for enrolment.
            district = "渝中区"
            coord = new_page()
            sign_in(coord, base, "coord_yz")
            policy, prep = "社区工作者政策法规专题", "助理社会工作师考前辅导"
            create_course(coord, base, policy, "8", description="社区治理、社会救助与养老服务的政策法规解读。")
            create_course(
                coord,
                base,
                prep,
                "16",
                track="pre_exam",
                target_level="assistant",
                description="社会工作综合能力与社会工作实务（初级）考前辅导。",
            )
            past = create_session(
                coord,
                base,
                policy,
                "第一期",
                "渝中区社会工作服务中心 201室",
                30,
                district,
                [(local_at(-8, 9), local_at(-8, 12)), (local_at(-7, 9), local_at(-7, 12))],
                local_at(-30, 9),
                local_at(-9, 18),
            )
            # One by one: "enrol them" refuses a course without a target level ("the filter is
            # not valid", its hidden "not yet qualified" choice is missing from the form).
            in_post_yz = in_post(server.app, "500103")
            enrol_by_id_number(coord, demo.id_number, demo.name)
            for name, id_number in [w for w in in_post_yz if w[1] != demo.id_number][:7]:
                enrol_by_id_number(coord, id_number, name)
            enrolled = coord.locator("#enrolled-table tbody tr").count()
            hrefs = [a.get_attribute("href") for a in coord.locator("#meetings li a").all()]
            for n, href in enumerate(hrefs):
                coord.goto(f"{base}{href}")
                # the demo worker first; one absent twice (not completed), one late once
                marks = ["present"] * enrolled
                if enrolled > 1:
                    marks[-1] = "absent"
                if n == 0 and enrolled > 2:
                    marks[1] = "late"
                mark_roster(coord, marks)
            coord.goto(f"{base}/training/sessions/{past}")
            coord.once("dialog", lambda dialog: dialog.accept())
            coord.click("#complete-session")
            expect(coord.locator("#complete-session")).to_have_count(0)

            now_start, now_end = meeting_now()
            current = create_session(
                coord,
                base,
                prep,
                "冬季班",
                "渝中区社会工作服务中心 3楼报告厅",
                max(1, len(in_post_yz) - 2),  # two on the waitlist
                district,
                [(now_start, now_end), (local_at(2, 14), local_at(2, 17)), (local_at(4, 14), local_at(4, 17))],
                local_at(-5, 9),
                local_at(1, 18),
            )
            coord.click("#status-open")
            expect(coord.locator("#status-open")).to_have_count(0)
            enrol_by_id_number(coord, demo.id_number, demo.name)
            enrol_district(coord, district)
            coord.goto(f"{base}/training/sessions/{current}")  # without the notice
            expect(coord.locator("#waitlist li")).not_to_have_count(0)
            shoot(coord, "training-session", full_page=True)
            code = coord.locator(".checkin-code").first.inner_text().strip()
            roster_url = base + coord.locator("#meetings li a").first.get_attribute("href")

            create_session(  # open for enrolment: the worker's "open for enrolment" lists it
                coord,
                base,
                policy,
                "第二期",
                "大坪街道社会工作站",
                40,
                district,
                [(local_at(6, 9), local_at(6, 11, 30)), (local_at(7, 9), local_at(7, 11, 30))],
                local_at(-1, 9),
                local_at(5, 18),
            )
            coord.click("#status-open")
            expect(coord.locator("#status-open")).to_have_count(0)

            # The demo worker checks in with the meeting's code; the coordinator marks a few more.
            page = new_page()
            sign_in(page, base, demo.id_number)
            page.goto(f"{base}/training/me")
            page.fill("#checkin-code-input", code)
            page.click("#checkin-button")
            expect(page.locator(".alert-success, .alert-warning").first).to_be_visible()
            coord.goto(roster_url)
            mark_roster(coord, ["", "present", "present", "late", "absent"])
            coord.goto(roster_url)
            expect(coord.locator("#roster-table tbody tr").first.locator(".btn-success")).to_have_count(1)
            shoot(coord, "training-roster", full_page=True)
            coord.goto(f"{base}/training/calendar")
            expect(coord.locator("#calendar .cal-item")).not_to_have_count(0)
            shoot(coord, "training-calendar", full_page=True)

            page.goto(f"{base}/training/me")
            expect(page.locator("#history li")).not_to_have_count(0)
            expect(page.locator("#open-sessions form")).to_have_count(1)
            shoot(page, "training-mine", full_page=True)

            browser.close()
    finally:
        server.stop(drop=True)
        shutil.rmtree(tmp, ignore_errors=True)
    for path in shots:
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
