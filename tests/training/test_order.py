"""Training happens in order (issue #9): attendance opens with the check-in window, a session is
completed only after its last meeting, a completed session can be reopened (hours withdrawn,
audited), and a session created with meetings in the past gets a warning."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.core.audit import AuditLog
from app.core.services import ServiceError
from app.core.timeutil import to_local, utcnow
from app.exams import queries as exam_queries
from app.exams.levels import Level
from app.exams.services import add_registration
from app.extensions import db
from app.training import rules, services
from app.training.models import Attendance, Enrolment, Mark, SessionStatus, TrainingSession
from tests import factories as f
from tests.factories import csrf_token, login, post
from tests.training.helpers import course, session


@pytest.fixture
def coord(client, world):
    login(client, "t_coord_a")
    return client


def _future_and_past(world):
    """The world's district-A session, with its first meeting moved to yesterday (the second is in ten days)."""
    s = world.session
    first = s.meetings[0]
    first.starts_at, first.ends_at = utcnow() - timedelta(days=1, hours=3), utcnow() - timedelta(days=1, hours=1)
    db.session.commit()
    return s


# ---- attendance opens with the check-in window ----


def test_attendance_for_a_meeting_is_refused_before_its_check_in_window(world, clock):
    meeting = world.session.meetings[0]
    with pytest.raises(ServiceError) as refused:
        services.mark(meeting, world.worker_a.id, Mark.present)
    assert f"{to_local(meeting.starts_at - rules.CHECKIN_EARLY):%Y-%m-%d %H:%M}" in refused.value.message
    assert db.session.query(Attendance).count() == 0
    clock.move_to(meeting.starts_at - timedelta(minutes=29))
    assert services.mark(meeting, world.worker_a.id, Mark.present).mark == Mark.present


def test_the_roster_does_not_offer_a_meeting_that_has_not_opened(coord, world):
    s = _future_and_past(world)
    past, future = s.meetings
    page = coord.get(f"/training/sessions/{s.id}").get_data(as_text=True)
    assert f"/meetings/{past.id}" in page and f"/meetings/{future.id}" not in page
    assert "attendance-later" in page
    url = f"/training/sessions/{s.id}/meetings/{future.id}"
    roster = coord.get(url).get_data(as_text=True)
    assert 'id="attendance-not-open"' in roster and 'name="mark"' not in roster
    refused = coord.post(
        url + "/mark",
        data={"csrf_token": csrf_token(coord, url), "worker_id": world.worker_a.id, "mark": "present"},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 422 and "30" in refused.get_json()["error"]
    assert db.session.query(Attendance).count() == 0
    done = coord.post(
        f"/training/sessions/{s.id}/meetings/{past.id}/mark",
        data={"csrf_token": csrf_token(coord, url), "worker_id": world.worker_a.id, "mark": "present"},
        headers={"Accept": "application/json"},
    )
    assert done.get_json() == {"ok": True, "mark": "present"}


# ---- completion after the last meeting ----


def test_a_session_is_completed_only_after_its_last_meeting_has_ended(world, clock):
    s = _future_and_past(world)
    services.mark(s.meetings[0], world.worker_a.id, Mark.present)
    with pytest.raises(ServiceError):
        services.complete_session(s)
    assert s.status != SessionStatus.completed
    assert db.session.get(Enrolment, world.enrolment.id).hours_awarded == 0
    clock.move_to(s.meetings[-1].ends_at + timedelta(minutes=1))
    assert services.complete_session(s) == (0, 1)  # 1 of 2 meetings: below 80 %
    assert s.status == SessionStatus.completed


def test_the_complete_button_waits_for_the_last_meeting(coord, world):
    s = _future_and_past(world)
    page = coord.get(f"/training/sessions/{s.id}").get_data(as_text=True)
    assert 'id="complete-session"' not in page and 'id="complete-later"' in page
    response = post(coord, f"/training/sessions/{s.id}/complete", token_from=f"/training/sessions/{s.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert s.status != SessionStatus.completed
    assert db.session.get(Enrolment, world.enrolment.id).completed is None


# ---- reopening a completed session ----


def _completed(world):
    """A one-meeting session of yesterday that 张伟 attended, completed: 16 hours awarded."""
    now = utcnow()
    s = session(
        course(hours="16"),
        meetings=[(now - timedelta(days=1, hours=3), now - timedelta(days=1, hours=1))],
        district_id=world.community_a.district_id,
        opens=now - timedelta(days=5),
        closes=now - timedelta(days=2),
    )
    services.enrol(s, world.worker_a.id)
    services.mark(s.meetings[0], world.worker_a.id, Mark.present)
    services.complete_session(s)
    db.session.commit()
    return s


def test_reopening_withdraws_the_hours_from_the_ce_ledger_and_is_audited(world):
    s = _completed(world)
    reg = add_registration(world.worker_a.id, Level.assistant, date(2025, 1, 1), utcnow().date() + timedelta(days=400))
    (ledger,) = exam_queries.ce_ledgers(world.worker_a.id, [reg])
    assert ledger.from_training == Decimal("16.0")
    assert services.reopen_session(s) == 1
    assert s.status == SessionStatus.closed and s.completed_at is None
    enrolment = db.session.query(Enrolment).filter_by(session_id=s.id).one()
    assert enrolment.completed is None and enrolment.hours_awarded == 0
    (ledger,) = exam_queries.ce_ledgers(world.worker_a.id, [reg])
    assert ledger.from_training == 0
    entries = db.session.query(AuditLog).filter_by(entity_type="training_session", entity_id=s.id, action="update")
    assert any(e.after and e.after.get("status") == "closed" for e in entries)
    assert any(e.before and e.before.get("hours_awarded") == {str(world.worker_a.id): "16.0"} for e in entries)
    with pytest.raises(ServiceError):
        services.reopen_session(s)  # only a completed session
    services.mark(s.meetings[0], world.worker_a.id, Mark.absent)  # attendance can be corrected again
    assert services.complete_session(s) == (0, 1)


def test_the_coordinator_reopens_from_the_session_page(coord, world):
    s = _completed(world)
    page = coord.get(f"/training/sessions/{s.id}").get_data(as_text=True)
    assert 'id="reopen-session"' in page
    response = post(coord, f"/training/sessions/{s.id}/reopen", token_from=f"/training/sessions/{s.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert s.status == SessionStatus.closed
    assert db.session.query(Enrolment).filter_by(session_id=s.id).one().hours_awarded == 0
    assert (
        db.session.query(AuditLog)
        .filter_by(entity_type="training_session", entity_id=s.id, user_id=world.coord_a.id)
        .count()
    )


def test_a_coordinator_of_another_district_cannot_reopen(client, world):
    from app.core.access import Role

    s = _completed(world)
    f.user(Role.coordinator, "t_coord_b", districts=["500104"])
    db.session.commit()
    login(client, "t_coord_b")
    response = post(client, f"/training/sessions/{s.id}/reopen")
    assert response.status_code == 404
    db.session.expire_all()
    assert s.status == SessionStatus.completed


# ---- a session created with meetings in the past ----


def test_started_meetings_are_named(world):
    s = _future_and_past(world)
    assert rules.started_meetings(s, utcnow()) == [s.meetings[0]]


def test_creating_a_session_whose_meetings_are_past_warns_but_creates_it(coord, world):
    yesterday = to_local(utcnow()) - timedelta(days=1)
    form = {
        "name": "补录班",
        "venue": "渝中区社工站",
        "capacity": "20",
        "district_id": str(world.community_a.district_id),
        "enrol_opens": (yesterday - timedelta(days=3)).strftime("%Y-%m-%dT08:00"),
        "enrol_closes": (yesterday - timedelta(days=1)).strftime("%Y-%m-%dT08:00"),
        "meetings": yesterday.strftime("%Y-%m-%d 09:00-11:30"),
    }
    response = post(coord, f"/training/courses/{world.course.id}/sessions/new", form)
    assert response.status_code == 302
    page = coord.get(response.headers["Location"]).get_data(as_text=True)
    assert "alert-warning" in page and yesterday.strftime("%Y-%m-%d 09:00") in page
    assert db.session.query(TrainingSession).filter_by(name="补录班").count() == 1


def test_no_warning_for_a_session_in_the_future(coord, world):
    soon = to_local(utcnow()) + timedelta(days=3)
    form = {
        "name": "下期",
        "venue": "渝中区社工站",
        "capacity": "20",
        "district_id": str(world.community_a.district_id),
        "enrol_opens": (soon - timedelta(days=5)).strftime("%Y-%m-%dT08:00"),
        "enrol_closes": (soon - timedelta(days=1)).strftime("%Y-%m-%dT08:00"),
        "meetings": soon.strftime("%Y-%m-%d 09:00-11:30"),
    }
    response = post(coord, f"/training/courses/{world.course.id}/sessions/new", form)
    assert "alert-warning" not in coord.get(response.headers["Location"]).get_data(as_text=True)


# ---- one rule for "finished" ----


def test_a_cancelled_session_takes_no_more_attendance(world, clock):
    s = world.session
    clock.move_to(s.meetings[0].starts_at)
    services.set_status(s, SessionStatus.cancelled)
    with pytest.raises(ServiceError):
        services.mark(s.meetings[0], world.worker_a.id, Mark.present)
