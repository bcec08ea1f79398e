from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.core.services import ServiceError
from app.core.timeutil import utcnow
from app.exams import queries as exam_queries
from app.exams.levels import Level
from app.exams.models import Qualification, QualificationSource
from app.exams.services import add_registration
from app.extensions import db
from app.reminders.models import Notice
from app.training import services
from app.training.models import Attendance, EnrolmentState, Mark, SessionStatus
from tests import factories as f
from tests.training.helpers import course, session


@pytest.fixture
def workers(app_ctx):
    comm = f.community("500103")
    return [f.worker(comm, name=f"学员{i}") for i in range(6)]


def test_capacity_holds_and_the_rest_wait_in_order(workers):
    s = session(course(), capacity=3)
    states = [services.enrol(s, w.id).state for w in workers]
    assert states == [EnrolmentState.enrolled] * 3 + [EnrolmentState.waitlisted] * 3


def test_a_freed_seat_promotes_exactly_the_first_in_line_and_tells_them(workers):
    from app.core.access import Role

    s = session(course(), capacity=2)
    enrolments = [services.enrol(s, w.id) for w in workers[:4]]
    user = f.user(Role.worker, worker_record=workers[2])
    services.cancel_enrolment(enrolments[0])
    states = [e.state for e in enrolments]
    assert states == [
        EnrolmentState.cancelled,
        EnrolmentState.enrolled,
        EnrolmentState.enrolled,
        EnrolmentState.waitlisted,
    ]
    assert db.session.query(Notice).filter_by(user_id=user.id, kind="promoted").count() == 1


def test_the_same_worker_cannot_be_enrolled_twice(workers):
    s = session(course())
    services.enrol(s, workers[0].id)
    with pytest.raises(ServiceError):
        services.enrol(s, workers[0].id)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"capacity": -1}, "capacity"),
        ({"meetings": "backwards"}, "meetings"),
        ({"closes": "after"}, "enrol_closes"),
        ({"district_id": "outside"}, "district_id"),
    ],
)
def test_bad_sessions_are_refused_with_the_field(workers, change, field):
    now = utcnow()
    c = course()
    kwargs = {}
    if "capacity" in change:
        kwargs["capacity"] = change["capacity"]
    if change.get("meetings") == "backwards":
        kwargs["meetings"] = [(now + timedelta(days=3, hours=2), now + timedelta(days=3))]
    if change.get("closes") == "after":
        kwargs["closes"] = now + timedelta(days=30)
    if change.get("district_id") == "outside":
        kwargs["district_id"], kwargs["allowed"] = f.district("500104").id, {f.district("500103").id}
    with pytest.raises(ServiceError) as info:
        session(c, **kwargs)
    assert info.value.field == field


def test_check_in_with_the_code_during_the_meeting_only(workers):
    now = utcnow()
    s = session(
        course(),
        meetings=[
            (now - timedelta(minutes=5), now + timedelta(hours=2)),
            (now + timedelta(days=2), now + timedelta(days=2, hours=2)),
        ],
        closes=now + timedelta(hours=1),
    )
    services.enrol(s, workers[0].id)
    today, later = s.meetings
    with pytest.raises(ServiceError):
        services.self_checkin(workers[0].id, "000000" if today.checkin_code != "000000" else "999999")
    with pytest.raises(ServiceError):
        services.self_checkin(workers[0].id, later.checkin_code)  # not during that meeting
    with pytest.raises(ServiceError):
        services.self_checkin(workers[1].id, today.checkin_code)  # not enrolled
    row = services.self_checkin(workers[0].id, today.checkin_code)
    assert row.mark == Mark.present and row.self_checkin
    late = services.self_checkin(workers[0].id, today.checkin_code, now=now + timedelta(minutes=40))
    assert late.mark == Mark.late
    assert db.session.query(Attendance).count() == 1


def test_completion_awards_hours_by_the_threshold_and_they_count_as_ce(workers):
    now = utcnow()
    c = course(hours="16", threshold="80")
    meetings = [(now - timedelta(days=9 - i, hours=3), now - timedelta(days=9 - i, hours=1)) for i in range(5)]
    s = session(c, meetings=meetings, opens=now - timedelta(days=20), closes=now - timedelta(days=9, hours=3))
    keen, lazy = workers[0], workers[1]
    for w in (keen, lazy):
        services.enrol(s, w.id)
    for i, m in enumerate(s.meetings):
        services.mark(m, keen.id, Mark.late if i == 0 else Mark.present)
        services.mark(m, lazy.id, Mark.present if i < 3 else Mark.absent)  # 3 of 5 = 60 %
    assert services.complete_session(s) == (1, 1)
    assert s.status == SessionStatus.completed
    db.session.add(
        Qualification(
            worker_id=keen.id,
            level=Level.assistant,
            obtained_on=now.date() - timedelta(days=700),
            source=QualificationSource.imported,
        )
    )
    db.session.flush()
    reg = add_registration(keen.id, Level.assistant, now.date() - timedelta(days=365))  # covers the meetings
    (ledger,) = exam_queries.ce_ledgers(keen.id, [reg])
    assert ledger.from_training == Decimal("16.0")
    with pytest.raises(ServiceError):
        services.enrol(s, workers[2].id)  # a completed session no longer changes


def test_training_outside_a_registration_period_counts_for_nothing(workers):
    now = utcnow()
    s = session(
        course(),
        meetings=[(now - timedelta(days=2, hours=3), now - timedelta(days=2, hours=1))],
        opens=now - timedelta(days=5),
        closes=now - timedelta(days=3),
    )
    services.enrol(s, workers[0].id)
    services.mark(s.meetings[0], workers[0].id, Mark.present)
    services.complete_session(s)
    db.session.add(
        Qualification(
            worker_id=workers[0].id,
            level=Level.assistant,
            obtained_on=date(2020, 1, 1),
            source=QualificationSource.imported,
        )
    )
    db.session.flush()
    old = add_registration(workers[0].id, Level.assistant, date(2020, 6, 1))  # ended in 2023
    (ledger,) = exam_queries.ce_ledgers(workers[0].id, [old])
    assert ledger.from_training == 0


def test_moving_or_cancelling_a_session_tells_everyone_on_it_once(workers):
    from app.core.access import Role

    s = session(course())
    services.enrol(s, workers[0].id)
    user = f.user(Role.worker, worker_record=workers[0])
    data = services.SessionData(
        s.name,
        s.venue,
        s.capacity,
        None,
        s.enrol_opens,
        s.enrol_closes,
        [(m.starts_at + timedelta(hours=1), m.ends_at + timedelta(hours=1)) for m in s.meetings],
    )
    services.update_session(s, data, None)
    services.update_session(s, data, None)  # the same times again: no second notice
    services.set_status(s, SessionStatus.cancelled)
    kinds = [n.kind for n in db.session.query(Notice).filter_by(user_id=user.id).order_by(Notice.id)]
    assert kinds == ["session_moved", "session_cancelled"]
    with pytest.raises(ServiceError):
        services.enrol(s, workers[1].id)


def test_bulk_enrolment_fills_seats_then_the_waitlist_and_skips_those_already_on(workers):
    s = session(course(), capacity=4)
    services.enrol(s, workers[0].id)
    assert services.bulk_enrol(s, [w.id for w in workers]) == (3, 2, 1)
    assert [e.state for e in sorted(s_enrolments(s), key=lambda e: e.position)].count(EnrolmentState.waitlisted) == 2


def s_enrolments(s):
    from app.training.models import Enrolment

    return db.session.query(Enrolment).filter_by(session_id=s.id).all()


def test_the_at_risk_list_counts_training_hours_too(workers):
    from app.exams.reports import ce_at_risk
    from app.workers.queries import scoped_workers

    class CityWide:
        role, city_wide, districts, worker_id = (
            __import__("app.core.access", fromlist=["Role"]).Role.admin,
            True,
            [],
            None,
        )

    now = utcnow()
    keen = workers[0]
    db.session.add(
        Qualification(
            worker_id=keen.id, level=Level.assistant, obtained_on=date(2022, 1, 1), source=QualificationSource.imported
        )
    )
    db.session.flush()
    today = now.date()
    add_registration(keen.id, Level.assistant, today - timedelta(days=3 * 365 - 200))  # about 200 days left
    assert [r.worker.id for r in ce_at_risk(scoped_workers(CityWide()), today)] == [keen.id]
    c = course(hours="72")
    s = session(
        c,
        meetings=[(now - timedelta(days=2, hours=3), now - timedelta(days=2, hours=1))],
        opens=now - timedelta(days=5),
        closes=now - timedelta(days=3),
    )
    services.enrol(s, keen.id)
    services.mark(s.meetings[0], keen.id, Mark.present)
    services.complete_session(s)
    assert ce_at_risk(scoped_workers(CityWide()), today) == []
