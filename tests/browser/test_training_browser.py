"""End to end in chromium: a session from the coordinator's forms to the worker's credit hours.

coord_yz creates a course and a session of it for 渝中区 with a meeting happening now, and enrols
two workers of the district by ID number; the demo worker signs in with the ID number and checks
in with the code shown on the session page; the coordinator completes the session; the worker
reads the course's credit hours in "my training". The other worker did not check in and does not
complete the course.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.live import create_course, create_session, enrol_by_id_number, meeting_now, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

CREDIT_HOURS = Decimal("6.5")
DISTRICT_CODE, DISTRICT_NAME = "500103", "渝中区"


@dataclass
class OtherWorker:
    name: str
    id_number: str


@pytest.fixture(scope="module")
def other_worker(app, demo_worker) -> OtherWorker:
    """Another worker of 渝中区 (in post today), who is enrolled but does not check in."""
    from app.core.timeutil import local_today
    from app.extensions import db
    from app.places.models import District
    from app.workers.models import Worker

    today = local_today()
    with app.app_context():
        row = db.session.execute(
            sa.select(Worker.name, Worker.id_number)
            .join(District, District.id == Worker.district_id)
            .where(
                District.code == DISTRICT_CODE,
                Worker.id != demo_worker.id,
                Worker.post_start <= today,
                sa.or_(Worker.post_end.is_(None), Worker.post_end >= today),
            )
            .order_by(Worker.id)
            .limit(1)
        ).first()
        db.session.remove()
    assert row is not None, "the demo data should have another worker in post in 渝中区"
    return OtherWorker(row.name, row.id_number)


def total_hours(page) -> Decimal:
    return Decimal(page.locator("#total-hours").inner_text().strip())


def test_coordinator_runs_a_session_and_the_worker_earns_the_credit_hours(page, live_server, demo_worker, other_worker):
    # Unique names: the live server is shared by the session, and its clash warnings look at venues.
    tag = uuid.uuid4().hex[:6]
    title, session_name, venue = f"社会工作伦理与实务 {tag}", "第一期", f"渝中区社会工作服务中心 {tag}"
    start, end = meeting_now()

    # What the worker has before, so that the test does not depend on the order tests run in.
    sign_in(page, live_server, demo_worker.id_number)
    page.goto(f"{live_server}/training/me")
    before = total_hours(page)
    page.context.clear_cookies()  # sign out without the menu

    # The coordinator of 渝中区 creates the course and a session with a meeting happening now.
    sign_in(page, live_server, "coord_yz")
    create_course(page, live_server, title, str(CREDIT_HOURS), description="一次课，出勤即结业。")
    session_id = create_session(
        page,
        live_server,
        title,
        session_name,
        venue,
        capacity=10,
        district=DISTRICT_NAME,
        meetings=[(start, end)],
        enrol_opens=start - timedelta(days=1),
        enrol_closes=end,  # no later than the end of the last meeting
    )
    session_url = f"{live_server}/training/sessions/{session_id}"
    expect(page.locator("h1")).to_contain_text(title)
    page.click("#status-open")
    expect(page.locator("#status-open")).to_have_count(0)  # the button of the current status goes
    meetings = page.locator("#meetings li")
    expect(meetings).to_have_count(1)
    expect(meetings.first).to_contain_text(f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}")
    code = page.locator(".checkin-code").first.inner_text().strip()
    assert re.fullmatch(r"\d{6}", code), code

    # ... and enrols two workers of the district by ID number.
    enrol_by_id_number(page, demo_worker.id_number, demo_worker.name)
    enrol_by_id_number(page, other_worker.id_number, other_worker.name)
    enrolled = page.locator("#enrolled-table tbody tr")
    expect(enrolled).to_have_count(2)
    expect(enrolled.nth(0).locator("td").first).to_have_text(demo_worker.name)
    expect(enrolled.nth(1).locator("td").first).to_have_text(other_worker.name)
    expect(page.locator("#seats")).to_contain_text("2/10")
    page.context.clear_cookies()

    # The worker signs in with the ID number, sees the session coming and checks in with the code.
    sign_in(page, live_server, demo_worker.id_number)
    page.goto(f"{live_server}/training/me")
    # Upcoming, or already in the history in the last minute of the day (the meeting ends at 23:59).
    expect(page.locator("#upcoming li, #history li").filter(has_text=title)).to_have_count(1)
    page.fill("#checkin-code-input", code)
    page.click("#checkin-button")
    expect(page).to_have_url(f"{live_server}/training/me")
    expect(page.locator(".alert-success")).to_be_visible()  # checked in, and not late
    page.context.clear_cookies()

    # The coordinator sees the mark on the meeting's roster and completes the session.
    sign_in(page, live_server, "coord_yz")
    page.goto(session_url)
    page.locator("#meetings li").first.locator("a").click()
    expect(page.locator("#checkin-code")).to_have_text(code)
    rows = page.locator("#roster-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("button[value=present]")).to_have_class(re.compile(r"\bbtn-success\b"))
    expect(rows.nth(1).locator("button.btn-success, button.btn-warning, button.btn-danger")).to_have_count(0)
    page.goto(session_url)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#complete-session")
    expect(page.locator("#complete-session")).to_have_count(0)
    expect(page.locator(".alert-success")).to_be_visible()  # one completed the course, one did not
    hours = str(CREDIT_HOURS)
    expect(enrolled.nth(0).locator(".badge.text-bg-success")).to_contain_text(hours)
    expect(enrolled.nth(1).locator(".badge.text-bg-secondary")).to_have_count(1)
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
