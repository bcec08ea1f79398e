"""End to end in chromium: training from the coordinator's forms to the worker's credit hours.

1. coord_yz creates a course (and lands on it), adds a session of it whose two meetings were
   yesterday (accepting the warning that they are past: the browser cannot move the server's
   clock), enrols everyone in post in 渝中区 after seeing how many match, marks the demo worker
   present at both meetings, and completes the session after its last meeting; the demo worker
   reads the course's credit hours in "my training", and a colleague who was not marked does
   not complete the course.
2. A session with a meeting happening now: the worker checks in with the code shown on the
   session page, the coordinator sees the mark on the meeting's roster, a colleague checks in
   on a phone by scanning the roster's QR code, and the session cannot be completed before its
   meeting has ended.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.demo import DEMO_PASSWORD
from tests.browser.live import create_course, enrol_by_id_number, fill_session_form, meeting_now, sign_in
from tests.browser.shots import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

CREDIT_HOURS = Decimal("6.5")
DISTRICT_CODE, DISTRICT_NAME = "500103", "渝中区"


@dataclass
class OtherWorker:
    name: str
    id_number: str


@pytest.fixture(scope="module")
def in_post(app) -> list[OtherWorker]:
    """The workers of 渝中区 in post today (what "enrol everyone who matches" takes)."""
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
                District.code == DISTRICT_CODE,
                Worker.post_start <= today,
                sa.or_(Worker.post_end.is_(None), Worker.post_end >= today),
            )
            .order_by(Worker.id)
        ).all()
        db.session.remove()
    return [OtherWorker(r.name, r.id_number) for r in rows]


@pytest.fixture(scope="module")
def other_worker(in_post, demo_worker) -> OtherWorker:
    """Another worker of 渝中区 in post today, who is enrolled but never marked present."""
    others = [w for w in in_post if w.id_number != demo_worker.id_number]
    assert others, "the demo data should have another worker in post in 渝中区"
    return others[0]


@pytest.fixture(scope="module")
def other_worker_account(app, other_worker) -> OtherWorker:
    """The colleague can sign in too (with the ID number), as the admin would set up."""
    from app.accounts import services as accounts
    from app.core.access import Role
    from app.extensions import db

    with app.app_context():
        accounts.create_user(
            f"w{other_worker.id_number[-6:]}", Role.worker, DEMO_PASSWORD, worker_id_number=other_worker.id_number
        )
        db.session.commit()
        db.session.remove()
    return other_worker


def total_hours(page) -> Decimal:
    return Decimal(page.locator("#total-hours").inner_text().strip())


def hours_before(page, live_server, demo_worker) -> Decimal:
    """What the worker has before, so that the test does not depend on the order tests run in."""
    sign_in(page, live_server, demo_worker.id_number)
    page.goto(f"{live_server}/training/me")
    before = total_hours(page)
    page.context.clear_cookies()  # sign out without the menu
    return before


def yesterday_at(hour: int, minute: int = 0) -> datetime:
    from app.core.timeutil import LOCAL_TZ

    day = datetime.now(LOCAL_TZ) - timedelta(days=1)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def mark_present(page, name: str) -> None:
    """On a meeting's roster: mark one person present (the page answers without reloading)."""
    row = page.locator("#roster-table tbody tr").filter(has_text=name)
    expect(row).to_have_count(1)
    button = row.locator("button[value=present]")
    button.click()
    expect(button).to_have_class(re.compile(r"\bbtn-success\b"))


def test_coordinator_runs_a_past_session_and_the_worker_earns_the_credit_hours(
    page, live_server, demo_worker, in_post, other_worker
):
    # Unique names: the live server is shared by the session, and its clash warnings look at venues.
    tag = uuid.uuid4().hex[:6]
    title, session_name, venue = f"社会工作伦理与实务 {tag}", "补录班", f"渝中区社会工作服务中心 {tag}"
    before = hours_before(page, live_server, demo_worker)

    # The coordinator of 渝中区 creates the course and lands on it, with "add a session" at hand.
    sign_in(page, live_server, "coord_yz")
    course_id = create_course(page, live_server, title, str(CREDIT_HOURS), description="两次课，出勤即结业。")
    expect(page.locator("#course-title")).to_have_text(title)
    page.click("#add-session")

    # The session took place yesterday: it is saved with a warning that its meetings are past.
    morning, afternoon = (yesterday_at(9), yesterday_at(11, 30)), (yesterday_at(14), yesterday_at(16, 30))
    session_id = fill_session_form(
        page,
        live_server,
        session_name,
        venue,
        capacity=len(in_post) + 5,
        district=DISTRICT_NAME,
        meetings=[morning, afternoon],
        enrol_opens=yesterday_at(8) - timedelta(days=7),
        enrol_closes=yesterday_at(8),
    )
    session_url = f"{live_server}/training/sessions/{session_id}"
    expect(page.locator("h1")).to_contain_text(title)
    warning = page.locator(".alert-warning").filter(has_text=f"{morning[0]:%Y-%m-%d %H:%M}")
    expect(warning).to_be_visible()
    expect(page.locator("#meetings li")).to_have_count(2)
    expect(page.locator("#meetings .attendance-link")).to_have_count(2)  # both have started

    # Everyone in post in 渝中区: first the count, then the enrolment.
    page.select_option("select[name='bulk-district']", label=DISTRICT_NAME)
    page.click("#enrol-bulk")
    expect(page.locator("#bulk-count")).to_contain_text(str(len(in_post)))
    expect(page.locator("#enrolled-table")).to_have_count(0)  # a preview: nobody enrolled yet
    page.click("#confirm-bulk")
    expect(page).to_have_url(session_url)
    expect(page.locator(".alert-success")).to_be_visible()
    enrolled = page.locator("#enrolled-table tbody tr")
    expect(enrolled).to_have_count(len(in_post))
    expect(page.locator("#seats")).to_contain_text(f"{len(in_post)}/{len(in_post) + 5}")

    # Attendance: the demo worker was at both meetings; the others are left unmarked.
    for n in range(2):
        page.goto(session_url)
        page.locator("#meetings .attendance-link").nth(n).click()
        expect(page.locator("#roster-table tbody tr")).to_have_count(len(in_post))
        mark_present(page, demo_worker.name)

    # The last meeting is over: the session can be completed.
    page.goto(session_url)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#complete-session")
    expect(page.locator("#complete-session")).to_have_count(0)
    expect(page.locator(".alert-success")).to_be_visible()  # one completed the course, the others did not
    hours = str(CREDIT_HOURS)
    expect(enrolled.filter(has_text=demo_worker.name).locator(".badge.text-bg-success")).to_contain_text(hours)
    expect(enrolled.filter(has_text=other_worker.name).locator(".badge.text-bg-secondary")).to_have_count(1)
    page.goto(f"{live_server}/training/courses/{course_id}")
    expect(page.locator("#course-sessions tbody tr").filter(has_text=session_name)).to_have_count(1)
    page.context.clear_cookies()

    # The worker has the course's credit hours in "my training", and the session in the history.
    sign_in(page, live_server, demo_worker.id_number)
    page.goto(f"{live_server}/training/me")
    expect(page.locator("#total-hours")).to_have_text(str(before + CREDIT_HOURS))
    done = page.locator("#history li").filter(has_text=title)
    expect(done).to_have_count(1)
    expect(done).to_contain_text(session_name)
    expect(done.locator(".badge.text-bg-success")).to_contain_text(hours)
    expect(page.locator("#upcoming li").filter(has_text=title)).to_have_count(0)


def test_the_worker_checks_in_by_code_and_a_colleague_by_qr_during_the_meeting(
    page, live_server, demo_worker, other_worker_account
):
    other_worker = other_worker_account
    tag = uuid.uuid4().hex[:6]
    title, venue = f"社区治理专题 {tag}", f"渝中区社会工作服务中心 {tag}"
    start, end = meeting_now()

    # The coordinator schedules a session with a meeting happening now and enrols two workers.
    sign_in(page, live_server, "coord_yz")
    create_course(page, live_server, title, "3")
    page.click("#add-session")
    session_id = fill_session_form(
        page,
        live_server,
        "第一期",
        venue,
        capacity=10,
        district=DISTRICT_NAME,
        meetings=[(start, end)],
        enrol_opens=start - timedelta(days=1),
        enrol_closes=end,  # no later than the end of the last meeting
    )
    session_url = f"{live_server}/training/sessions/{session_id}"
    page.click("#status-open")
    expect(page.locator("#status-open")).to_have_count(0)  # the button of the current status goes
    meetings = page.locator("#meetings li")
    expect(meetings).to_have_count(1)
    expect(meetings.first).to_contain_text(f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}")
    code = page.locator(".checkin-code").first.inner_text().strip()
    assert re.fullmatch(r"\d{6}", code), code
    enrol_by_id_number(page, demo_worker.id_number, demo_worker.name)
    enrol_by_id_number(page, other_worker.id_number, other_worker.name)
    expect(page.locator("#enrolled-table tbody tr")).to_have_count(2)
    # The meeting has not ended: no "complete" yet, only when it can be.
    expect(page.locator("#complete-session")).to_have_count(0)
    expect(page.locator("#complete-later")).to_contain_text(f"{end:%Y-%m-%d %H:%M}")
    page.context.clear_cookies()

    # The worker signs in with the ID number, sees the session and checks in with the code.
    sign_in(page, live_server, demo_worker.id_number)
    page.goto(f"{live_server}/training/me")
    # Upcoming, or already in the history in the last minute of the day (the meeting ends at 23:59).
    expect(page.locator("#upcoming li, #history li").filter(has_text=title)).to_have_count(1)
    page.fill("#checkin-code-input", code)
    page.click("#checkin-button")
    expect(page).to_have_url(f"{live_server}/training/me")
    expect(page.locator(".alert-success")).to_be_visible()  # checked in, and not late
    page.context.clear_cookies()

    # The coordinator sees the mark on the meeting's roster.
    sign_in(page, live_server, "coord_yz")
    page.goto(session_url)
    page.locator("#meetings .attendance-link").first.click()
    expect(page.locator("#checkin-code")).to_have_text(code)
    rows = page.locator("#roster-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=demo_worker.name).locator("button[value=present]")).to_have_class(
        re.compile(r"\bbtn-success\b")
    )
    expect(
        rows.filter(has_text=other_worker.name).locator("button.btn-success, button.btn-warning, button.btn-danger")
    ).to_have_count(0)

    # The colleague scans the QR code shown on the roster with a phone: the camera opens the
    # link it carries, the phone signs in, and one tap checks in.
    link = scan_qr(page.locator("img[src*='qr.svg']"))
    assert link.startswith(live_server) and link.endswith(f"code={code}"), link
    phone = page.context.browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        mobile = phone.new_page()
        mobile.goto(link)
        expect(mobile).to_have_url(re.compile(r"/login"))
        mobile.fill("input[name=login]", other_worker.id_number)
        mobile.fill("input[name=password]", DEMO_PASSWORD)
        mobile.click("#sign-in")
        expect(mobile.locator("input[name=code]")).to_have_value(code)
        mobile.click("#checkin-submit")
        expect(mobile).to_have_url(f"{live_server}/training/me")
        expect(mobile.locator(".alert-success")).to_be_visible()
    finally:
        phone.close()
    page.reload()
    expect(rows.filter(has_text=other_worker.name).locator("button[value=present]")).to_have_class(
        re.compile(r"\bbtn-success\b")
    )


def scan_qr(image) -> str:
    """What a phone camera reads from a QR code on the screen."""
    import io

    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.screenshot())))
    assert len(found) == 1, "one QR code on the picture"
    return found[0].text
