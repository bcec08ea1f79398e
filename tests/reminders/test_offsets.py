"""Reminder offsets are rows an administrator changes: the finders read them, the texts follow
them, and each change is in the audit log."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.core.access import Role
from app.core.audit import AuditLog
from app.core.services import ServiceError
from app.core.timeutil import local_today, utcnow
from app.exams.levels import Level
from app.exams.models import Qualification, QualificationSource
from app.exams.services import add_registration
from app.extensions import db
from app.reminders import due, notices, offsets, services, texts
from app.reminders.models import Notice, ReminderOffset
from app.training import services as training
from tests import factories as f
from tests.factories import login, post
from tests.training.helpers import course, session


@pytest.fixture
def person(app_ctx):
    w = f.worker(f.community("500103"))
    u = f.user(Role.worker, "offset_worker", worker_record=w)
    return w, u


def _scan():
    notices.notify_many(due.due_items())
    return list(db.session.scalars(sa.select(Notice).order_by(Notice.id)))


def test_the_migration_seeds_todays_offsets(app_ctx):
    rows = dict(db.session.execute(sa.select(ReminderOffset.kind, ReminderOffset.days)).all())
    assert rows == {
        "session_in_3_days": 3,
        "session_in_1_day": 1,
        "registration_expiring_90": 90,
        "registration_expiring_30": 30,
    }
    assert offsets.all_days() == offsets.DEFAULTS


def test_a_longer_session_offset_makes_a_reminder_due_and_its_text_says_so(person):
    w, _u = person
    now = utcnow()
    s = session(
        course(), meetings=[(now + timedelta(days=5), now + timedelta(days=5, hours=2))], closes=now + timedelta(days=4)
    )
    training.enrol(s, w.id)
    assert _scan() == []  # 5 days away: not yet, with 3 days before
    services.set_offset("session_in_3_days", 7)
    (notice,) = _scan()
    assert (notice.kind, notice.params["days"]) == ("session_in_3_days", 7)
    with force_locale("zh_Hans_CN"):
        assert "7 天后" in texts.body(notice) and "7 天后" in texts.subject(notice)
    with force_locale("en"):
        assert "starts in 7 days" in texts.body(notice) and texts.subject(notice) == "Session in 7 days"


def test_the_second_session_reminder_follows_its_row(person):
    w, _u = person
    now = utcnow()
    s = session(
        course(), meetings=[(now + timedelta(days=2), now + timedelta(days=2, hours=2))], closes=now + timedelta(days=1)
    )
    training.enrol(s, w.id)
    services.set_offset("session_in_1_day", 2)
    (notice,) = _scan()
    assert (notice.kind, notice.params["days"]) == ("session_in_1_day", 2)
    with force_locale("en"):
        assert "starts in 2 days" in texts.body(notice)


def test_a_shorter_expiry_offset_makes_nothing_due_until_then(person):
    w, _u = person
    today = local_today()
    db.session.add(
        Qualification(
            worker_id=w.id, level=Level.assistant, obtained_on=date(2020, 1, 1), source=QualificationSource.imported
        )
    )
    db.session.flush()
    add_registration(w.id, Level.assistant, today - timedelta(days=365 * 3 - 80), today + timedelta(days=80))
    services.set_offset("registration_expiring_90", 60)
    assert _expiring() == []
    services.set_offset("registration_expiring_90", 120)
    services.set_offset("registration_expiring_30", 85)
    assert _expiring() == [("registration_expiring_30", 85)]


def _expiring():
    return [(n.kind, n.params["days"]) for n in _scan() if n.kind.startswith("registration_expiring")]


def test_a_notice_from_before_the_rows_says_the_default():
    notice = SimpleNamespace(
        kind="session_in_3_days", params={"course": "C", "session": "S", "when": "w", "venue": "v"}
    )
    with force_locale("en"):
        assert "starts in 3 days" in texts.body(notice) and texts.subject(notice) == "Session in 3 days"
        tomorrow = SimpleNamespace(kind="session_in_1_day", params={})
        assert "starts tomorrow" in texts.body(tomorrow) and texts.subject(tomorrow) == "Session tomorrow"


@pytest.mark.parametrize("days", [0, 366])
def test_the_service_refuses_days_out_of_range(app_ctx, days):
    with pytest.raises(ServiceError) as refused:
        services.set_offset("session_in_3_days", days)
    assert refused.value.field == "days"


def test_the_earlier_reminder_stays_the_earlier_one(app_ctx):
    with pytest.raises(ServiceError):
        services.set_offset("session_in_1_day", 3)
    with pytest.raises(ServiceError):
        services.set_offset("registration_expiring_90", 30)
    with pytest.raises(ServiceError):
        services.set_offset("promoted", 3)
    assert offsets.all_days() == offsets.DEFAULTS


def _offset_form(client, kind, days):
    return post(
        client, "/admin/notices", {"kind": kind, "days": days}, token_from="/admin/notices", follow_redirects=True
    ).get_data(as_text=True)


def test_the_admin_changes_an_offset_on_the_notices_page_and_it_is_audited(client, world):
    login(client, "t_admin")
    page = client.get("/admin/notices").get_data(as_text=True)
    assert 'id="days-session_in_3_days"' in page and 'value="3"' in page
    page = _offset_form(client, "session_in_3_days", "5")
    assert "已保存" in page and 'value="5"' in page
    assert offsets.days_before("session_in_3_days") == 5
    entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "reminder_offset")).one()
    assert entry.user_id == world.admin.id and entry.before == {"days": 3} and entry.after == {"days": 5}


@pytest.mark.parametrize("days", ["0", "366", "abc", "", "2.5"])
def test_the_admin_form_refuses_a_bad_number_and_keeps_the_row(client, world, days):
    login(client, "t_admin")
    page = _offset_form(client, "registration_expiring_30", days)
    assert "请填写 1 到 365 之间的数" in page
    assert offsets.days_before("registration_expiring_30") == 30


def test_the_admin_form_says_why_an_order_is_refused(client, world):
    login(client, "t_admin")
    page = _offset_form(client, "registration_expiring_30", "120")
    assert "提前更多天" in page
    assert offsets.days_before("registration_expiring_30") == 30


def test_an_unknown_kind_is_a_bad_request(client, world):
    login(client, "t_admin")
    response = post(client, "/admin/notices", {"kind": "promoted", "days": "3"}, token_from="/admin/notices")
    assert response.status_code == 400


def test_only_an_admin_changes_offsets(client, world):
    login(client, "t_coord_city")
    response = post(client, "/admin/notices", {"kind": "session_in_3_days", "days": "9"}, token_from="/notices")
    assert response.status_code == 403
    assert offsets.days_before("session_in_3_days") == 3
