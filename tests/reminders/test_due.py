"""The due-reminders scan, kind by kind: each is due from its offset to the event, once."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.core.access import Role
from app.core.timeutil import local_today, utcnow
from app.exams import due_reminders as exams_due
from app.exams.levels import Level
from app.exams.models import Qualification, QualificationSource
from app.exams.services import add_registration, save_exam_year
from app.extensions import db
from app.reminders import due, notices
from app.reminders.models import Notice
from app.training import services as training
from app.training.models import Mark, SessionStatus, Track
from tests import factories as f
from tests.training.helpers import course, session


@pytest.fixture
def person(app_ctx):
    w = f.worker(f.community("500103"))
    u = f.user(Role.worker, "due_worker", worker_record=w)
    return w, u


def _scan():
    notices.notify_many(due.due_items())
    return [(n.kind, n.target) for n in db.session.query(Notice).order_by(Notice.id)]


def test_session_reminders_three_days_then_one_day_and_a_moved_session_moves_them(person):
    w, u = person
    now = utcnow()
    s = session(
        course(),
        meetings=[(now + timedelta(days=2, hours=12), now + timedelta(days=2, hours=14))],
        closes=now + timedelta(days=1),
    )
    training.enrol(s, w.id)
    assert _scan() == [("session_in_3_days", f"session:{s.id}")]
    assert len(_scan()) == 1  # the scan runs every 5 minutes: nothing new
    data = training.SessionData(
        s.name,
        s.venue,
        s.capacity,
        None,
        s.enrol_opens,
        now + timedelta(hours=10),
        [(now + timedelta(hours=20), now + timedelta(hours=22))],
    )
    training.update_session(s, data, None)
    kinds = [k for k, _t in _scan()]
    assert kinds == ["session_in_3_days", "session_moved", "session_in_1_day"]


def test_no_reminders_for_a_cancelled_session_or_the_waitlist(person):
    w, u = person
    now = utcnow()
    s = session(
        course(),
        capacity=0,
        meetings=[(now + timedelta(hours=20), now + timedelta(hours=22))],
        closes=now + timedelta(hours=10),
    )
    training.enrol(s, w.id)  # capacity 0: waitlisted
    assert _scan() == []
    s.capacity = 1
    training.promote(s)
    training.set_status(s, SessionStatus.cancelled)
    assert [k for k, _t in _scan()] == ["promoted", "session_cancelled"]


def _qualify(w, obtained, level=Level.assistant):
    q = Qualification(worker_id=w.id, level=level, obtained_on=obtained, source=QualificationSource.imported)
    db.session.add(q)
    db.session.flush()
    return q


def test_first_registration_due_nine_months_after_obtaining(person):
    w, u = person
    today = local_today()
    _qualify(w, today - timedelta(days=200))
    assert _scan() == []
    db.session.query(Qualification).delete()
    _qualify(w, today - timedelta(days=290))
    assert [k for k, _t in _scan()] == ["first_registration_due"]


def test_registration_expiring_in_90_then_30_days_unless_renewed(person):
    w, u = person
    today = local_today()
    _qualify(w, date(2020, 1, 1))
    add_registration(w.id, Level.assistant, today - timedelta(days=365 * 3 - 80), today + timedelta(days=80))
    assert [k for k, _t in _scan() if k.startswith("registration")] == ["registration_expiring_90"]
    assert [i[1] for i in exams_due.registration_expiring(today + timedelta(days=60))] == ["registration_expiring_30"]
    add_registration(w.id, Level.assistant, today + timedelta(days=81))  # renewed: no 30-day reminder later
    assert exams_due.registration_expiring(today + timedelta(days=60)) == []


def test_exam_registration_open_to_those_trained_for_a_level_they_do_not_hold(person):
    w, u = person
    today, now = local_today(), utcnow()
    c = course(track=Track.pre_exam, level=Level.intermediate)
    s = session(
        c,
        meetings=[(now - timedelta(days=30, hours=3), now - timedelta(days=30, hours=1))],
        opens=now - timedelta(days=40),
        closes=now - timedelta(days=31),
    )
    training.enrol(s, w.id)
    training.mark(s.meetings[0], w.id, Mark.present)
    training.complete_session(s)
    save_exam_year(
        today.year + 1,
        today + timedelta(days=200),
        today + timedelta(days=150),
        today - timedelta(days=1),
        today + timedelta(days=20),
    )
    assert [k for k, _t in _scan()] == ["exam_registration_open"]


def test_ce_shortfall_once_a_month_while_at_risk(person):
    w, u = person
    today = local_today()
    _qualify(w, date(2020, 1, 1))
    add_registration(w.id, Level.assistant, today - timedelta(days=3 * 365 - 200))
    kinds = [k for k, _t in _scan()]
    assert kinds.count("ce_shortfall") == 1
    assert [k for k, _t in _scan()].count("ce_shortfall") == 1


def test_allowance_statement_only_once_the_month_is_locked_and_submission_tells_the_other_officers(person):
    from app.allowance import compute
    from app.allowance import services as allowance
    from app.allowance.rules import Month

    w, u = person
    _qualify(w, date(2020, 1, 1))
    add_registration(w.id, Level.assistant, date(2025, 1, 1))
    one = f.user(Role.payroll, "pay_one", city_wide=True)
    two = f.user(Role.payroll, "pay_two", city_wide=True)
    run, districts = allowance.start_compute(Month.parse("2026-06"), one.id)
    for d in districts:
        compute.compute_part(run.id, d)
    allowance.finish_if_complete(run.id)
    assert _scan() == []
    allowance.submit(run, one.id)
    assert db.session.query(Notice).filter_by(kind="run_submitted").one().user_id == two.id
    allowance.approve(run, two.id)
    assert db.session.query(Notice).filter_by(kind="allowance_statement").count() == 0
    allowance.lock(run, two.id)
    statement = db.session.query(Notice).filter_by(kind="allowance_statement").one()
    assert statement.user_id == u.id and statement.params["amount"] == f"{Decimal('200'):.2f}"
    _scan()
    assert db.session.query(Notice).filter_by(kind="allowance_statement").count() == 1


def test_a_notice_names_the_level_in_the_readers_words(app_ctx):
    from types import SimpleNamespace

    from app.reminders import texts

    notice = SimpleNamespace(kind="first_registration_due", params={"level": "assistant", "due": "2027-01-01"})
    assert "助理社会工作师" in texts.body(notice) and "assistant" not in texts.body(notice)
