"""Real worker processes on Redis send mail to a real SMTP server on loopback: two beat ticks at
once, a retried task, and a worker killed mid-batch neither lose a notice nor double one."""

import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import services
from tests.reminders.smtp import SMTPServer

pytestmark = pytest.mark.no_db_transaction
ROOT = Path(__file__).resolve().parents[2]
N = 400
# A dead sender's claims expire after this; a live sender renews its claim before each message
# (app/reminders/delivery.py), so only a sender stalled half as long on one message could lose it.
CLAIM_EXPIRY_SECONDS = 10


@pytest.fixture
def setup(tmp_path):
    if not services.redis_available():
        services.missing("Redis")
    from flask_migrate import upgrade

    from app import create_app
    from app.core.access import Role
    from app.extensions import db
    from app.reminders import notices
    from tests import factories as f

    url = services.postgres_database(f"socialwork_mail_{os.getpid()}") or f"sqlite:///{tmp_path}/mail.sqlite"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        users = []
        for i in range(N):
            user = f.user(Role.admin, f"mail{i:03d}")
            user.email = f"user{i:03d}@example.org"
            users.append(user.id)
        db.session.flush()
        notices.notify(users, "run_submitted", "run:1", "submitted:1", {"month": "2026-10", "by": "x"})
        db.session.commit()
        db.session.remove()
    services.purge_queue()
    smtp = SMTPServer().start()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": services.REDIS_URL,
        "INSTANCE_PATH": str(tmp_path),
        "APP_CONFIG": "development",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "QUIET_HOURS": "",
        "REMINDER_CLAIM_EXPIRY_SECONDS": str(CLAIM_EXPIRY_SECONDS),
    }
    yield app, env, smtp
    smtp.stop()
    with app.app_context():
        db.engine.dispose()
    if url.startswith("postgresql"):
        services.drop_postgres_database(sa.engine.make_url(url).database)


def _worker(env, name):
    return services.start_celery_worker(env, name)


def _tick(count=1) -> list[str]:
    """Beat's ticks: the ids of the messages sent (a sender, then a scan)."""
    from celery import Celery

    celery = Celery(broker=services.REDIS_URL, set_as_current=False)
    try:
        return [
            celery.send_task(task, queue=services.QUEUE).id
            for _ in range(count)
            for task in ("reminders.send_pending", "reminders.scan_due")
        ]
    finally:
        celery.close()


def _in_broker(ids: list[str]) -> set[str]:
    """Which of these messages Redis still holds: waiting in this run's queue, or taken by a worker
    and not acknowledged (the sender acknowledges once it has finished: acks_late)."""
    import json

    import redis

    r = redis.Redis.from_url(services.REDIS_URL)
    try:
        waiting = [json.loads(m) for m in r.lrange(services.QUEUE, 0, -1)]
        taken = [json.loads(v)[0] for v in r.hvals("unacked")]  # [message, exchange, routing key]
    finally:
        r.close()
    return {m["headers"]["id"] for m in waiting + taken} & set(ids)


def _tick_until(condition, every=1.0, timeout=150) -> bool:
    """Beat: a tick every `every` seconds until `condition` holds."""
    deadline, due = time.monotonic() + timeout, 0.0
    while time.monotonic() < deadline:
        if condition():
            return True
        if time.monotonic() >= due:
            _tick(1)
            due = time.monotonic() + every
        time.sleep(0.1)
    return False


def _sent(app) -> int:
    from app.extensions import db
    from app.reminders.models import Delivery, DeliveryState

    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).where(Delivery.state == DeliveryState.sent))
        db.session.remove()
        return count


def _delivery_ids(app) -> set[str]:
    from app.extensions import db
    from app.reminders.models import Delivery

    with app.app_context():
        ids = {f"<delivery-{i}@socialwork.local>" for i in db.session.scalars(sa.select(Delivery.id))}
        db.session.remove()
        return ids


def _wait(condition, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_two_ticks_at_once_and_a_killed_worker_lose_nothing_and_double_nothing(setup):
    app, env, smtp = setup
    one, two = _worker(env, "one"), _worker(env, "two")
    workers = [one, two]
    try:
        _tick(2)  # two beat ticks at the same moment, shared by two processes
        assert _wait(lambda: len(smtp.messages) >= 60), "no mail arrived"
        os.kill(one.pid, signal.SIGKILL)  # mid-batch
        one.wait(timeout=10)
        assert len(smtp.messages) < N, "the kill came too late to test anything"
        workers.append(_worker(env, "three"))
        # Beat ticks on (a retried task does the same); once the dead worker's claims expire, the
        # next tick sends the rest of its batch.
        assert _tick_until(lambda: _sent(app) == N), f"only {_sent(app)} of {N} sent"
        last = _tick(1)  # one more tick: nothing left to send
        assert _wait(lambda: not _in_broker(last), timeout=120), "the last tick was never taken"
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
        for w in workers:
            w.wait(timeout=30)
    received = Counter(m["message_id"] for m in smtp.messages)
    assert set(received) == _delivery_ids(app)  # none lost
    doubled = [mid for mid, n in received.items() if n > 1]
    # Only the one message in flight when the worker was killed can arrive twice (the server took
    # it but the worker died before recording it); it keeps its Message-ID, so mail clients fold it.
    assert len(doubled) <= 1, doubled
