"""Scope on training (issue #10), on data spanning two districts: a district coordinator sees only
their districts' participants on any session and only totals for the rest; city-wide sessions are
managed city-wide; courses of the city are edited city-wide; check-in codes cannot be guessed."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.core.access import Role
from app.core.timeutil import utcnow
from app.extensions import db
from app.training import queries, services
from app.training.models import Attendance, Course, Enrolment, EnrolmentState, Mark, Track
from tests import factories as f
from tests.factories import csrf_token, login, post
from tests.training.helpers import course, session


@pytest.fixture
def city(world):
    """A city-wide session under way, 张伟 (district A) and 李娜 (district B) on it, both marked present."""
    now = utcnow()
    s = session(
        world.course,
        meetings=[(now - timedelta(minutes=5), now + timedelta(hours=2))],
        opens=now - timedelta(days=2),
        closes=now + timedelta(hours=1),
    )
    for w in (world.worker_a, world.worker_b):
        services.enrol(s, w.id)
        services.mark(s.meetings[0], w.id, Mark.present)
    db.session.commit()
    return s


def _as(client, username):
    login(client, username)
    return client


# ---- participants: a district coordinator sees their districts' people, and totals ----


def test_the_scoped_queries_keep_other_districts_participants_out(world, city):
    meeting_ids = [m.id for m in city.meetings]
    assert [e.worker_id for e in queries.roster(world.coord_a, city.id)] == [world.worker_a.id]
    assert {w for _m, w in queries.marks(world.coord_a, meeting_ids)} == {world.worker_a.id}
    assert queries.participant(world.coord_a, city.id, world.worker_b.id) is None
    assert queries.checkin_codes(world.coord_a, city) == {}
    assert queries.seats(city.id).enrolled == 2  # totals stay totals
    assert len(queries.roster(world.coord_city, city.id)) == 2
    assert queries.checkin_codes(world.coord_city, city) == {m.id: m.checkin_code for m in city.meetings}


def test_the_session_page_shows_a_district_coordinator_only_their_participants(client, world, city):
    page = _as(client, "t_coord_a").get(f"/training/sessions/{city.id}").get_data(as_text=True)
    assert "张伟" in page and "李娜" not in page
    assert 'id="others-hidden"' in page and "2/10" in page
    assert city.meetings[0].checkin_code not in page and "checkin-code" not in page


def test_the_sign_in_sheet_and_the_workbook_hold_only_their_participants(client, world, city):
    _as(client, "t_coord_a")
    sheet = client.get(f"/training/sessions/{city.id}/sign-in-sheet").get_data(as_text=True)
    assert "张伟" in sheet and "李娜" not in sheet
    book = load_workbook(io.BytesIO(client.get(f"/training/sessions/{city.id}/roster.xlsx").data))
    cells = {str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None}
    assert {"张伟", "13800000001"} <= cells
    assert not {"李娜", "13800000002"} & cells


def test_a_city_wide_coordinator_sees_everyone(client, world, city):
    _as(client, "t_coord_city")
    page = client.get(f"/training/sessions/{city.id}").get_data(as_text=True)
    assert "张伟" in page and "李娜" in page and city.meetings[0].checkin_code in page
    book = load_workbook(io.BytesIO(client.get(f"/training/sessions/{city.id}/roster.xlsx").data))
    cells = {str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None}
    assert {"13800000001", "13800000002"} <= cells


def test_a_district_coordinator_cannot_manage_a_city_wide_session(client, world, city):
    _as(client, "t_coord_a")
    meeting = city.meetings[0]
    token = csrf_token(client, f"/training/sessions/{city.id}")
    assert client.get(f"/training/meetings/{meeting.id}/qr.svg").status_code == 403
    assert client.get(f"/training/sessions/{city.id}/meetings/{meeting.id}").status_code == 403
    assert client.get(f"/training/sessions/{city.id}/edit").status_code == 403
    for url, data in [
        (
            f"/training/sessions/{city.id}/meetings/{meeting.id}/mark",
            {"worker_id": world.worker_a.id, "mark": "absent"},
        ),
        (f"/training/sessions/{city.id}/status/cancelled", {}),
        (f"/training/sessions/{city.id}/complete", {}),
        (f"/training/sessions/{city.id}/enrol-bulk", {"bulk-district": ""}),
    ]:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    enrolment = db.session.query(Enrolment).filter_by(session_id=city.id, worker_id=world.worker_a.id).one()
    assert client.get(f"/training/enrolments/{enrolment.id}/cancel").status_code == 404
    db.session.expire_all()
    assert db.session.query(Attendance).filter_by(mark=Mark.absent).count() == 0
    assert db.session.get(Enrolment, enrolment.id).state == EnrolmentState.enrolled
    assert client.get(f"/training/meetings/{meeting.id}/qr.svg").status_code == 403


def test_on_their_own_session_a_district_coordinator_cannot_touch_another_districts_participant(client, world):
    """A city-wide coordinator put 李娜 (district B) on district A's session."""
    services.enrol(world.session, world.worker_b.id)
    db.session.commit()
    theirs = db.session.query(Enrolment).filter_by(session_id=world.session.id, worker_id=world.worker_b.id).one()
    _as(client, "t_coord_a")
    page = client.get(f"/training/sessions/{world.session.id}").get_data(as_text=True)
    assert "张伟" in page and "李娜" not in page
    assert client.get(f"/training/enrolments/{theirs.id}/cancel").status_code == 404
    response = post(client, f"/training/enrolments/{theirs.id}/cancel")
    assert response.status_code == 404
    assert db.session.get(Enrolment, theirs.id).state == EnrolmentState.enrolled


def test_marking_another_districts_participant_is_refused(client, world):
    """On a district session under way, a participant from another district is not marked."""
    now = utcnow()
    s = session(
        world.course,
        meetings=[(now - timedelta(minutes=5), now + timedelta(hours=1))],
        district_id=world.community_a.district_id,
        opens=now - timedelta(days=2),
        closes=now,
    )
    services.enrol(s, world.worker_b.id)
    db.session.commit()
    _as(client, "t_coord_a")
    url = f"/training/sessions/{s.id}/meetings/{s.meetings[0].id}"
    response = client.post(
        url + "/mark",
        data={"csrf_token": csrf_token(client, url), "worker_id": world.worker_b.id, "mark": "present"},
    )
    assert response.status_code == 404
    assert db.session.query(Attendance).filter_by(meeting_id=s.meetings[0].id).count() == 0


# ---- courses: the city's courses are edited city-wide, a district coordinator edits their own ----


def _course_form(**changes):
    return {"track": "knowledge", "target_level": "", "title": "改名", "credit_hours": "9", "threshold": "80"} | changes


def test_who_may_edit_a_course(world):
    coord_b = f.user(Role.coordinator, "t_coord_b", districts=["500104"])
    mine = services.save_course(
        None, Track.knowledge, None, "渝中区自办", "", Decimal(4), Decimal(80), world.coord_a.id
    )
    citys = services.save_course(None, Track.knowledge, None, "市级", "", Decimal(4), Decimal(80), world.coord_city.id)
    assert queries.course_editable(world.coord_a, mine)
    assert not queries.course_editable(world.coord_a, citys)
    assert not queries.course_editable(world.coord_a, world.course)  # no creator recorded: the city's
    assert not queries.course_editable(coord_b, mine)
    assert queries.course_editable(world.coord_city, mine) and queries.course_editable(world.admin, citys)


def test_a_district_coordinator_cannot_edit_the_citys_course(client, world):
    _as(client, "t_coord_a")
    page = client.get(f"/training/courses/{world.course.id}").get_data(as_text=True)
    assert 'id="save-course"' not in page and 'id="add-session"' in page
    assert post(client, f"/training/courses/{world.course.id}", _course_form()).status_code == 403
    db.session.expire_all()
    assert db.session.get(Course, world.course.id).title != "改名"


def test_a_district_coordinator_edits_the_course_they_created(client, world):
    _as(client, "t_coord_a")
    response = post(client, "/training/courses", _course_form(title="渝中区自办"))
    course_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert db.session.get(Course, course_id).created_by_id == world.coord_a.id
    assert post(client, f"/training/courses/{course_id}", _course_form()).status_code == 302
    db.session.expire_all()
    assert db.session.get(Course, course_id).title == "改名"
    city = _as(client.application.test_client(), "t_coord_city")
    assert post(city, f"/training/courses/{course_id}", _course_form(title="市里改")).status_code == 302


# ---- check-in codes: one answer for every wrong code, and wrong codes are throttled ----


@pytest.fixture
def two_sessions(world, clock):
    """Two sessions under way: 张伟 (district A) on one, 李娜 (district B) on the other and 张伟
    on a session whose meeting ended two hours ago."""
    now = utcnow()
    clock.move_to(now, tick=True)
    under_way = [(now - timedelta(minutes=5), now + timedelta(hours=2))]
    mine = session(course("甲"), meetings=under_way, opens=now - timedelta(days=1), closes=now)
    theirs = session(course("乙"), meetings=under_way, venue="别处", opens=now - timedelta(days=1), closes=now)
    over = session(
        course("丙"),
        meetings=[(now - timedelta(hours=5), now - timedelta(hours=2))],
        venue="又一处",
        opens=now - timedelta(days=1),
        closes=now - timedelta(hours=3),
    )
    services.enrol(mine, world.worker_a.id)
    services.enrol(over, world.worker_a.id)
    services.enrol(theirs, world.worker_b.id)
    db.session.commit()
    return mine, theirs, over


def _unused_code(*sessions):
    used = {m.checkin_code for s in sessions for m in s.meetings}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in used)


def test_every_wrong_code_gets_the_same_answer(world, two_sessions):
    mine, theirs, over = two_sessions
    answers = set()
    for code in (_unused_code(*two_sessions), theirs.meetings[0].checkin_code, over.meetings[0].checkin_code):
        with pytest.raises(services.WrongCode) as refused:
            services.self_checkin(world.worker_a.id, code)
        answers.add(refused.value.message)
    assert len(answers) == 1
    assert services.self_checkin(world.worker_a.id, mine.meetings[0].checkin_code).mark == Mark.present


def _error(response) -> str:
    html = response.get_data(as_text=True)
    return re.search(r'class="invalid-feedback[^"]*">([^<]*)<', html).group(1)


def test_the_check_in_page_answers_every_wrong_code_alike(client, world, two_sessions):
    mine, theirs, over = two_sessions
    _as(client, "t_worker_a")
    codes = (_unused_code(*two_sessions), theirs.meetings[0].checkin_code, over.meetings[0].checkin_code)
    answers = {_error(post(client, "/training/checkin", {"code": c}, token_from="/training/me")) for c in codes}
    assert len(answers) == 1
    assert db.session.query(Attendance).count() == 0


def test_wrong_codes_are_throttled_per_worker(client, world, two_sessions, clock):
    mine, _theirs, _over = two_sessions
    _as(client, "t_worker_a")
    wrong = _unused_code(*two_sessions)
    for _ in range(4):
        assert post(client, "/training/checkin", {"code": wrong}, token_from="/training/me").status_code == 200
    answer = _error(post(client, "/training/checkin", {"code": wrong}, token_from="/training/me"))
    blocked = post(client, "/training/checkin", {"code": mine.meetings[0].checkin_code}, token_from="/training/me")
    assert blocked.status_code == 429
    assert _error(blocked) != answer and re.search(r"\d+", _error(blocked))  # wait N minutes
    assert db.session.query(Attendance).count() == 0
    clock.move_to(utcnow() + timedelta(minutes=16), tick=True)
    done = post(client, "/training/checkin", {"code": mine.meetings[0].checkin_code}, token_from="/training/me")
    assert done.status_code == 302
    assert db.session.query(Attendance).filter_by(worker_id=world.worker_a.id).count() == 1


def test_wrong_codes_are_throttled_per_meeting_across_workers(app, client, world, monkeypatch, clock):
    """张伟 (district A) guesses on a city-wide meeting; 李娜 (district B), on the same meeting,
    then waits too."""
    monkeypatch.setitem(app.config, "CHECKIN_FAILURE_LIMIT_MEETING", "3 per 15 minutes")
    now = utcnow()
    clock.move_to(now, tick=True)
    s = session(
        world.course,
        meetings=[(now - timedelta(minutes=5), now + timedelta(hours=2))],
        opens=now - timedelta(days=1),
        closes=now,
    )
    for w in (world.worker_a, world.worker_b):
        services.enrol(s, w.id)
    db.session.commit()
    wrong = _unused_code(s)
    _as(client, "t_worker_a")
    for _ in range(3):
        post(client, "/training/checkin", {"code": wrong}, token_from="/training/me")
    other = _as(app.test_client(), "t_worker_b")
    blocked = post(other, "/training/checkin", {"code": s.meetings[0].checkin_code}, token_from="/training/me")
    assert blocked.status_code == 429
    assert db.session.query(Attendance).count() == 0
