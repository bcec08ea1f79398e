"""The screenshot tour's training part, by the coordinator of 渝中区: a course whose first session
is over and completed (its attendance marked on the rosters), a pre-exam course with a session
under way (a meeting now, more in the next days; full, with a waitlist), and a second session of
the first course open for enrolment; then the demo worker checks in."""

import re

from playwright.sync_api import Page, expect

from scripts.screenshots_kit import Camera, in_post, local_at
from tests.browser.live import create_course, create_session, enrol_by_id_number, meeting_now, sign_in

DISTRICT = "渝中区"
POLICY, PREP = "社区工作者政策法规专题", "助理社会工作师考前辅导"


def training(camera: Camera, base: str, server, demo) -> None:
    coord = camera.new_page()
    sign_in(coord, base, "coord_yz")
    create_course(coord, base, POLICY, "8", description="社区治理、社会救助与养老服务的政策法规解读。")
    create_course(
        coord,
        base,
        PREP,
        "16",
        track="pre_exam",
        target_level="assistant",
        description="社会工作综合能力与社会工作实务（初级）考前辅导。",
    )
    in_post_yz = completed_session(coord, base, server, demo)
    code, roster_url = session_under_way(camera, coord, base, len(in_post_yz), demo)
    open_session(coord, base)
    check_in_and_mark(camera, coord, base, demo, code, roster_url)


def completed_session(coord: Page, base: str, server, demo) -> list[tuple[str, str]]:
    """The first session of the policy course: two meetings last week, eight enrolled one by one,
    their attendance marked, completed. Returns the district's workers in post."""
    past = create_session(
        coord,
        base,
        POLICY,
        "第一期",
        "渝中区社会工作服务中心 201室",
        30,
        DISTRICT,
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
    return in_post_yz


def session_under_way(camera: Camera, coord: Page, base: str, in_post_count: int, demo) -> tuple[str, str]:
    """The pre-exam session: a meeting now and two in the next days, the district enrolled (two on
    the waitlist). Returns the meeting's check-in code and the address of its roster."""
    now_start, now_end = meeting_now()
    current = create_session(
        coord,
        base,
        PREP,
        "冬季班",
        "渝中区社会工作服务中心 3楼报告厅",
        max(1, in_post_count - 2),  # two on the waitlist
        DISTRICT,
        [(now_start, now_end), (local_at(2, 14), local_at(2, 17)), (local_at(4, 14), local_at(4, 17))],
        local_at(-5, 9),
        local_at(1, 18),
    )
    coord.click("#status-open")
    expect(coord.locator("#status-open")).to_have_count(0)
    enrol_by_id_number(coord, demo.id_number, demo.name)
    enrol_district(coord, DISTRICT)
    coord.goto(f"{base}/training/sessions/{current}")  # without the notice
    expect(coord.locator("#waitlist li")).not_to_have_count(0)
    camera.shoot(coord, "training-session", full_page=True)
    code = coord.locator(".checkin-code").first.inner_text().strip()
    roster_url = base + coord.locator("#meetings li a").first.get_attribute("href")
    return code, roster_url


def open_session(coord: Page, base: str) -> None:
    """The policy course's second session, open for enrolment: the worker's "open for enrolment" lists it."""
    create_session(
        coord,
        base,
        POLICY,
        "第二期",
        "大坪街道社会工作站",
        40,
        DISTRICT,
        [(local_at(6, 9), local_at(6, 11, 30)), (local_at(7, 9), local_at(7, 11, 30))],
        local_at(-1, 9),
        local_at(5, 18),
    )
    coord.click("#status-open")
    expect(coord.locator("#status-open")).to_have_count(0)


def check_in_and_mark(camera: Camera, coord: Page, base: str, demo, code: str, roster_url: str) -> None:
    """The demo worker checks in with the meeting's code; the coordinator marks a few more."""
    page = camera.new_page()
    sign_in(page, base, demo.id_number)
    page.goto(f"{base}/training/me")
    page.fill("#checkin-code-input", code)
    page.click("#checkin-button")
    expect(page.locator(".alert-success, .alert-warning").first).to_be_visible()
    coord.goto(roster_url)
    mark_roster(coord, ["", "present", "present", "late", "absent"])
    coord.goto(roster_url)
    expect(coord.locator("#roster-table tbody tr").first.locator(".btn-success")).to_have_count(1)
    camera.shoot(coord, "training-roster", full_page=True)
    coord.goto(f"{base}/training/calendar")
    expect(coord.locator("#calendar .cal-item")).not_to_have_count(0)
    camera.shoot(coord, "training-calendar", full_page=True)

    page.goto(f"{base}/training/me")
    expect(page.locator("#history li")).not_to_have_count(0)
    expect(page.locator("#open-sessions form")).to_have_count(1)
    camera.shoot(page, "training-mine", full_page=True)


def enrol_district(page: Page, district: str) -> None:
    """On a session page: enrol everyone in post in a district ("enrol them")."""
    page.select_option("select[name='bulk-district']", label=district)
    page.click("#enrol-bulk")  # the count of who matches first, then confirm
    page.click("#confirm-bulk")
    expect(page.locator(".alert-success, .alert-warning").first).to_be_visible()


def mark_roster(page: Page, marks: list[str]) -> None:
    """On a meeting's roster: mark row i with marks[i] (present, late, absent; "" leaves it)."""
    styles = {"present": "success", "late": "warning", "absent": "danger"}
    rows = page.locator("#roster-table tbody tr")
    for i, value in enumerate(marks[: rows.count()]):
        if not value:
            continue
        button = rows.nth(i).locator(f"button[value={value}]")
        button.click()
        expect(button).to_have_class(re.compile(rf"\bbtn-{styles[value]}\b"))
