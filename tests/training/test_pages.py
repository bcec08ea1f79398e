import re
from datetime import timedelta

import pytest
from icalendar import Calendar

from app.core.timeutil import to_local, utcnow
from app.extensions import db
from app.reminders.models import Notice
from app.training.models import Attendance, Course, Enrolment, EnrolmentState, Mark, TrainingSession
from tests.factories import csrf_token, login, post


@pytest.fixture
def coord(client, world):
    login(client, "t_coord_a")
    return client


def _session_form(**changes):
    now = to_local(utcnow())
    data = {
        "name": "第二期",
        "venue": "渝中区社工站",
        "capacity": "20",
        "district_id": "",
        "enrol_opens": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "enrol_closes": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "meetings": (now + timedelta(days=5)).strftime("%Y-%m-%d 09:00-11:30")
        + "\n"
        + (now + timedelta(days=6)).strftime("%Y-%m-%d 14:00-16:30"),
    }
    data.update(changes)
    return data


def test_a_coordinator_creates_a_course_and_a_session(coord, world):
    saved = post(
        coord,
        "/training/courses",
        {
            "track": "pre_exam",
            "target_level": "assistant",
            "title": "考前培训",
            "credit_hours": "12",
            "threshold": "80",
        },
    )
    course = db.session.query(Course).filter_by(title="考前培训").one()
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/training/courses/{course.id}")
    landing = coord.get(saved.headers["Location"]).get_data(as_text=True)
    add = re.search(r'href="([^"]+)" id="add-session"', landing)
    assert add and add.group(1) == f"/training/courses/{course.id}/sessions/new"
    response = post(coord, add.group(1), _session_form(district_id=str(world.community_a.district_id)))
    assert response.status_code == 302
    page = coord.get(response.headers["Location"]).get_data(as_text=True)
    assert "第二期" in page and page.count('class="checkin-code"') == 2
    assert "第二期" in coord.get(saved.headers["Location"]).get_data(as_text=True)  # the course lists it


@pytest.mark.parametrize(
    "changes",
    [
        {"capacity": "-3"},
        {"meetings": "2026-12-05 11:00-09:00"},
        {"meetings": "tomorrow morning"},
        {"enrol_closes": "2099-01-01T00:00"},
        {"district_id": ""},  # a district coordinator cannot make a city-wide session
    ],
)
def test_bad_session_input_re_renders_with_the_error_and_creates_nothing(coord, world, changes):
    before = db.session.query(TrainingSession).count()
    response = post(
        coord,
        f"/training/courses/{world.course.id}/sessions/new",
        _session_form(district_id=str(world.community_a.district_id)) | changes,
    )
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.query(TrainingSession).count() == before


def test_pre_exam_training_must_name_its_level(coord, world):
    response = post(
        coord,
        "/training/courses",
        {"track": "pre_exam", "target_level": "", "title": "x", "credit_hours": "12", "threshold": "80"},
    )
    assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True)


def test_enrolling_a_worker_outside_scope_is_refused(coord, world):
    post(coord, f"/training/sessions/{world.session.id}/enrol", {"one-id_number": world.worker_b.id_number})
    assert db.session.query(Enrolment).filter_by(worker_id=world.worker_b.id).count() == 0


def test_marking_attendance_with_one_click_or_a_key(coord, world, clock):
    meeting = world.session.meetings[0]
    clock.move_to(meeting.starts_at, tick=True)
    login(coord, "t_coord_a")  # ten days later: a new sign-in
    url = f"/training/sessions/{world.session.id}/meetings/{meeting.id}"
    page = coord.get(url).get_data(as_text=True)
    assert 'id="roster-table"' in page and "张伟" in page
    response = coord.post(
        url + "/mark",
        data={"csrf_token": csrf_token(coord, url), "worker_id": world.worker_a.id, "mark": "late"},
        headers={"Accept": "application/json"},
    )
    assert response.get_json() == {"ok": True, "mark": "late"}
    assert db.session.query(Attendance).one().mark == Mark.late
    bad = coord.post(
        url + "/mark",
        data={"csrf_token": csrf_token(coord, url), "worker_id": world.worker_b.id, "mark": "present"},
        headers={"Accept": "application/json"},
    )
    assert bad.status_code == 404  # not a participant the coordinator may see


def test_the_sign_in_sheet_and_the_roster_workbook(coord, world):
    sheet = coord.get(f"/training/sessions/{world.session.id}/sign-in-sheet").get_data(as_text=True)
    assert "张伟" in sheet and "print.css" in sheet
    xlsx = coord.get(f"/training/sessions/{world.session.id}/roster.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_the_calendar_shows_the_sessions_meetings(coord, world):
    first = to_local(world.session.meetings[0].starts_at).date()
    page = coord.get("/training/calendar", query_string={"date": first.isoformat(), "view": "week"})
    assert world.course.title in page.get_data(as_text=True)
    assert coord.get("/training/calendar", query_string={"date": "garbage"}).status_code == 200


def test_a_worker_self_enrols_cancels_and_checks_in(client, world, app):
    from app.training import services

    login(client, "t_worker_b")
    s = world.session
    s.district_id = None  # city-wide, so worker_b may enrol
    services.set_status(s, __import__("app.training.models", fromlist=["SessionStatus"]).SessionStatus.open)
    db.session.commit()
    assert s.name in client.get("/training/me").get_data(as_text=True)
    post(client, f"/training/sessions/{s.id}/self-enrol", token_from="/training/me")
    enrolment = db.session.query(Enrolment).filter_by(worker_id=world.worker_b.id).one()
    assert enrolment.state == EnrolmentState.enrolled
    wrong = post(client, "/training/checkin", {"code": "not-it"}, token_from="/training/me")
    assert wrong.status_code == 200 and "is-invalid" in wrong.get_data(as_text=True)
    post(client, f"/training/enrolments/{enrolment.id}/cancel", token_from="/training/me")
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).state == EnrolmentState.cancelled


def test_a_worker_cannot_cancel_someone_elses_enrolment(client, world):
    login(client, "t_worker_b")
    response = post(client, f"/training/enrolments/{world.enrolment.id}/cancel", token_from="/training/me")
    assert response.status_code == 404
    assert db.session.get(Enrolment, world.enrolment.id).state == EnrolmentState.enrolled


def test_the_ics_feed_lists_the_workers_meetings(client, world):
    login(client, "t_worker_a")
    page = client.get("/training/me").get_data(as_text=True)
    url = re.search(r'value="(http://[^"]+\.ics)"', page).group(1)
    feed = client.get(url.replace("http://localhost", "")).get_data(as_text=True)
    assert feed.startswith("BEGIN:VCALENDAR") and feed.count("BEGIN:VEVENT") == 2
    assert client.get("/training/calendar/forged.ics").status_code == 404


def test_moving_the_session_puts_a_notice_in_the_workers_inbox(coord, world, app):

    response = post(
        coord,
        f"/training/sessions/{world.session.id}/edit",
        _session_form(district_id=str(world.community_a.district_id), capacity="10"),
    )
    assert response.status_code == 302
    notice = db.session.query(Notice).filter_by(user_id=world.worker_user.id).one()
    assert notice.kind == "session_moved"
    worker = app.test_client()
    login(worker, "t_worker_a")
    assert 'id="unread-count"' in worker.get("/workers/me").get_data(as_text=True)
    inbox = worker.get("/notices").get_data(as_text=True)
    assert world.course.title in inbox
    post(worker, "/notices/read")
    assert 'id="unread-count"' not in worker.get("/workers/me").get_data(as_text=True)


@pytest.mark.parametrize("track,level", [("knowledge", ""), ("pre_exam", "assistant")])
def test_bulk_enrolment_by_filter_for_every_kind_of_course(coord, world, track, level):
    assert (
        post(
            coord,
            "/training/courses",
            {"track": track, "target_level": level, "title": f"批量{track}", "credit_hours": "8", "threshold": "80"},
        ).status_code
        == 302
    )
    course = db.session.query(Course).filter_by(title=f"批量{track}").one()
    response = post(
        coord,
        f"/training/courses/{course.id}/sessions/new",
        _session_form(district_id=str(world.community_a.district_id), capacity="1"),
    )
    session_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = coord.get(f"/training/sessions/{session_id}").get_data(as_text=True)
    form = {
        "bulk-district": str(world.community_a.district_id),
        "bulk-post": "",
        "bulk-street": "",
        "bulk-community": "",
    }
    if level:
        form["bulk-not_qualified"] = "y"  # the select the page shows for pre-exam training
    else:
        assert 'type="hidden" name="bulk-not_qualified"' in page  # what the browser sends for the others
        form["bulk-not_qualified"] = ""
    preview = post(coord, f"/training/sessions/{session_id}/enrol-bulk", form)
    assert preview.status_code == 200
    assert db.session.query(Enrolment).filter_by(session_id=session_id).count() == 0  # nothing yet
    html = preview.get_data(as_text=True)
    if level:  # only workers not yet qualified at the target level: 张伟 holds the assistant level
        assert 'id="confirm-bulk"' not in html and 'id="bulk-count"' in html
        return
    assert re.search(r'id="bulk-count">\D*1\D', html)  # 张伟, the one worker in post in that district
    confirmed = post(coord, f"/training/sessions/{session_id}/enrol-bulk", _hidden_fields(html))
    assert confirmed.status_code == 302
    states = [e.state for e in db.session.query(Enrolment).filter_by(session_id=session_id)]
    assert states == [EnrolmentState.enrolled]


def _hidden_fields(html: str) -> dict:
    """What the preview's form sends back: its hidden fields (the filter and confirm=1)."""
    fields = dict(re.findall(r'<input type="hidden" name="(bulk-[^"]+)" value="([^"]*)">', html))
    assert fields["bulk-confirm"] == "1"
    return fields


def test_the_street_and_community_filters_are_pick_lists_of_the_users_districts(coord, world):
    page = coord.get(f"/training/sessions/{world.session.id}").get_data(as_text=True)
    streets = re.search(r'<select[^>]*name="bulk-street"[^>]*>(.*?)</select>', page, re.S).group(1)
    communities = re.search(r'<select[^>]*name="bulk-community"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert f'value="{world.community_a.street_id}"' in streets
    assert f'value="{world.community_b.street_id}"' not in streets
    assert "和平社区" in communities and "幸福社区" not in communities
    outside = {"bulk-district": "", "bulk-post": "", "bulk-not_qualified": "", "bulk-street": ""}
    response = post(
        coord,
        f"/training/sessions/{world.session.id}/enrol-bulk",
        outside | {"bulk-community": str(world.community_b.id)},
    )
    assert response.status_code == 302  # "the filter is not valid"
    by_street = post(
        coord,
        f"/training/sessions/{world.session.id}/enrol-bulk",
        outside | {"bulk-community": "", "bulk-street": str(world.community_a.street_id)},
    )
    assert re.search(r'id="bulk-count">\D*1\D', by_street.get_data(as_text=True))


def test_removing_someone_asks_first(coord, world):
    page = coord.get(f"/training/sessions/{world.session.id}").get_data(as_text=True)
    link = re.search(r'<a class="[^"]*remove-link" href="([^"]+)"', page).group(1)
    ask = coord.get(link)
    assert (
        ask.status_code == 200
        and "张伟" in ask.get_data(as_text=True)
        and 'id="confirm-remove"' in ask.get_data(as_text=True)
    )
    assert db.session.get(Enrolment, world.enrolment.id).state == EnrolmentState.enrolled
    assert post(coord, link, token_from=link).status_code == 302
    db.session.expire_all()
    assert db.session.get(Enrolment, world.enrolment.id).state == EnrolmentState.cancelled


def test_the_ics_feed_gives_times_in_utc_and_asks_for_beijing_time(client, world):
    login(client, "t_worker_a")
    page = client.get("/training/me").get_data(as_text=True)
    url = re.search(r'value="(http://[^"]+\.ics)"', page).group(1)
    feed = Calendar.from_ical(client.get(url.replace("http://localhost", "")).data)
    assert str(feed["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    events = feed.walk("VEVENT")
    assert all(e["DTSTART"].to_ical().endswith(b"Z") and e["DTEND"].to_ical().endswith(b"Z") for e in events)
    assert sorted(e.decoded("DTSTART") for e in events) == sorted(
        m.starts_at.replace(microsecond=0) for m in world.session.meetings
    )
