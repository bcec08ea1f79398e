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
        "REMINDER_CLAIM_EXPIRY_SECONDS": "3",
    }
    yield app, env, smtp
    smtp.stop()
    with app.app_context():
        db.engine.dispose()
    if url.startswith("postgresql"):
        services.drop_postgres_database(sa.engine.make_url(url).database)


def _worker(env, name):
    return services.start_celery_worker(env, name)


def _tick(count=1):

    for _ in range(count):
        services.send_task("reminders.send_pending")
        services.send_task("reminders.scan_due")


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
        time.sleep(3.5)  # the dead worker's claims expire
        _tick(1)  # the next beat tick (a retried task does the same)
        assert _wait(lambda: _sent(app) == N), f"only {_sent(app)} of {N} sent"
        time.sleep(1)
        _tick(1)  # one more tick: nothing left to send
        time.sleep(2)
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
