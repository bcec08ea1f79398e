"""Notices and their mail and SMS deliveries, against a real SMTP server and a real HTTP gateway."""

import json
import threading
from datetime import datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.core.access import Role
from app.core.timeutil import LOCAL_TZ, utcnow
from app.extensions import db
from app.reminders import delivery, notices
from app.reminders.models import Channel, ChannelPreference, Delivery, DeliveryState, KindSetting, Notice
from tests import factories as f
from tests.reminders.smtp import SMTPServer


@pytest.fixture(autouse=True)
def daytime(clock, today):
    """10:00 Beijing time today, on a clock that ticks: outside quiet hours."""
    return clock.move_to(datetime.combine(today, time(10, 0), tzinfo=LOCAL_TZ), tick=True)


@pytest.fixture
def smtp(app, monkeypatch):
    server = SMTPServer().start()
    state = app.extensions["mailman"]
    monkeypatch.setattr(state, "backend", "smtp")
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", server.port)
    monkeypatch.setattr(state, "use_tls", False)
    monkeypatch.setattr(state, "use_ssl", False)
    monkeypatch.setattr(state, "username", None)
    monkeypatch.setattr(state, "password", None)
    yield server
    server.stop()


@pytest.fixture
def people(app_ctx):
    comm = f.community("500103")
    zh = f.user(Role.worker, "zh_worker", worker_record=f.worker(comm, phone="13911112222"))
    en = f.user(Role.worker, "en_worker", worker_record=f.worker(comm))
    zh.email, en.email, en.locale = "zh@example.org", "en@example.org", "en"
    db.session.flush()
    return zh, en


def _send(now=None):
    return delivery.send_batch(now=now.astimezone(LOCAL_TZ) if now else None)


def test_a_notice_is_created_once_with_one_delivery_per_channel(people):
    zh, en = people
    for _ in range(3):
        notices.notify([zh.id, en.id], "promoted", "session:1", "enrolment:1:1", {"course": "课程", "session": "一期"})
    assert db.session.query(Notice).count() == 2
    assert db.session.query(Delivery).filter_by(channel=Channel.mail).count() == 2
    assert db.session.query(Delivery).filter_by(channel=Channel.sms).count() == 0  # no gateway configured


def test_mail_goes_out_once_in_the_recipients_language(people, smtp):
    zh, en = people
    notices.notify(
        [zh.id, en.id], "session_cancelled", "session:7", "cancelled", {"course": "考前培训", "session": "一期"}
    )
    db.session.commit()
    assert _send()["sent"] == 2
    assert _send()["sent"] == 0
    by_to = {m["to"][0]: m for m in smtp.messages}
    assert "已取消" in by_to["zh@example.org"]["body"]
    assert "has been cancelled" in by_to["en@example.org"]["body"]
    assert len({m["message_id"] for m in smtp.messages}) == 2


def test_smtp_down_retries_with_backoff_shows_pending_then_sends_once(people, smtp, daytime):
    zh, _en = people
    notices.notify([zh.id], "session_cancelled", "session:8", "cancelled", {"course": "x", "session": "y"})
    db.session.commit()
    smtp.stop()
    assert _send()["retry"] == 1
    row = db.session.query(Delivery).one()
    assert row.state == DeliveryState.pending and row.attempts == 1 and row.last_error
    assert row.next_attempt_at > daytime
    assert _send()["sent"] == 0  # not due yet: backing off
    smtp.start()
    assert _send(daytime + timedelta(minutes=5))["sent"] == 1
    assert len(smtp.messages) == 1 and db.session.get(Delivery, row.id).state == DeliveryState.sent


def test_quiet_hours_hold_mail_until_eight(people, smtp, today):
    zh, _en = people
    notices.notify([zh.id], "session_cancelled", "session:9", "cancelled", {"course": "x", "session": "y"})
    db.session.commit()
    night = datetime.combine(today, time(23, 30), tzinfo=LOCAL_TZ)
    morning = datetime.combine(today + timedelta(days=1), time(8, 0), tzinfo=LOCAL_TZ)
    assert _send(night)["postponed"] == 1
    row = db.session.query(Delivery).one()
    assert row.next_attempt_at.astimezone(LOCAL_TZ) == morning
    assert smtp.messages == []
    assert _send(morning + timedelta(minutes=1))["sent"] == 1


def test_turning_a_kind_off_or_opting_out_stops_what_is_already_due(people, smtp):
    zh, en = people
    notices.notify([zh.id, en.id], "promoted", "session:3", "e:1", {"course": "x", "session": "y"})
    db.session.add(KindSetting(kind="promoted", enabled=False))
    notices.notify([zh.id], "session_cancelled", "session:4", "cancelled", {"course": "x", "session": "y"})
    db.session.add(ChannelPreference(user_id=zh.id, channel=Channel.mail, enabled=False))
    db.session.commit()
    counts = _send()
    assert counts["skipped"] == 3 and counts["sent"] == 0 and smtp.messages == []
    assert db.session.query(Notice).count() == 3  # the in-app inbox still has them


class _Gateway(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        _Gateway.received.append((self.headers.get("Authorization"), json.loads(self.rfile.read(length))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_sms_goes_through_the_http_gateway(people, app, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received = []
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", f"http://127.0.0.1:{server.server_port}/send")
    monkeypatch.setitem(app.config, "SMS_GATEWAY_TOKEN", "secret-token")
    try:
        zh, _en = people
        zh.email = None
        notices.notify([zh.id], "session_cancelled", "session:5", "cancelled", {"course": "课程", "session": "一期"})
        db.session.commit()
        assert _send()["sent"] == 1
    finally:
        server.shutdown()
    ((auth, payload),) = _Gateway.received
    assert auth == "Bearer secret-token" and payload["to"] == "13911112222" and "已取消" in payload["text"]


def test_the_admin_page_shows_what_is_pending_and_why(client, world, smtp):
    from tests.factories import login, post

    world.admin.email = "admin@example.org"
    notices.notify([world.admin.id], "run_submitted", "run:1", "s", {"month": "2026-10", "by": "x"})
    db.session.commit()
    smtp.stop()
    _send()
    login(client, "t_admin")
    page = client.get("/admin/notices", query_string={"state": "pending"}).get_data(as_text=True)
    assert 'id="count-pending">1<' in page and "ConnectionRefusedError" in page
    # "To" is the recipient and "Why" the failure here, not an end date or a formula
    assert "<th>收件人</th>" in page and "<th>原因</th>" in page and "结束日期" not in page
    post(client, "/admin/notices", {"kind": "run_submitted", "enabled": "0"}, token_from="/admin/notices")
    assert db.session.get(KindSetting, "run_submitted").enabled is False


def test_a_sender_back_from_a_partition_sends_nothing_another_sender_took(people, smtp):
    """Sender A claims a batch and is cut off longer than the claim's expiry; sender B takes the
    deliveries A had not renewed and sends them. Back, A finds its claims gone and stops its batch;
    a claim A renewed before it went quiet is left to A."""
    zh, en = people
    third = f.user(Role.worker, "third", worker_record=f.worker(f.community("500103")))
    third.email = "third@example.org"
    notices.notify([zh.id, en.id, third.id], "session_cancelled", "session:5", "c", {"course": "x", "session": "y"})
    db.session.commit()
    start = utcnow()
    token, (first, second, last) = delivery.claim_batch(now=start)
    expiry = delivery.claim_expiry()
    assert delivery.renew_claim(second, token, start + expiry - timedelta(seconds=1))  # sent the first, renewed
    db.session.commit()
    assert _send(start + expiry + timedelta(seconds=1))["sent"] == 2  # B: the first and the last, not the second
    assert not delivery.renew_claim(last, token, start + expiry + timedelta(seconds=2))  # A is back: not its own
    assert delivery.renew_claim(second, token, start + expiry + timedelta(seconds=2))
    sent = sorted(m["message_id"] for m in smtp.messages)
    assert sent == sorted(f"<delivery-{i}@socialwork.local>" for i in (first, last))


def test_a_sender_quiet_since_it_renewed_a_claim_checks_it_again_before_sending(people, smtp):
    """Sender A renewed its claim on a delivery, then went quiet (paused, starved of CPU) longer
    than the claim's expiry before sending it; sender B took it and sent it meanwhile. Back, A makes
    sure of its claim again before sending, finds it gone and sends nothing: the mail arrives once."""
    from time import monotonic

    zh, _en = people
    notices.notify([zh.id], "session_cancelled", "session:6", "c", {"course": "x", "session": "y"})
    db.session.commit()
    start = utcnow()
    expiry = delivery.claim_expiry()
    token, (only,) = delivery.claim_batch(now=start)
    assert delivery.renew_claim(only, token, start)  # A: renewed just before sending it
    db.session.commit()
    assert delivery._claim_kept(only, token, None, monotonic()) is not None  # A, at once: still its own
    assert _send(start + expiry + timedelta(seconds=1))["sent"] == 1  # B, once A's claim expired
    renewed = monotonic() - expiry.total_seconds()  # A was quiet that long since it renewed the claim
    assert delivery._claim_kept(only, token, None, renewed) is None  # A: not its own any more, not sent
    assert [m["message_id"] for m in smtp.messages] == [f"<delivery-{only}@socialwork.local>"]
