"""The admin's system page (issue #13): each section shows, only the admin sees it, a source
that is down (Redis) leaves the page standing, and every task's last run is recorded."""

import os
import re
from datetime import UTC, date, datetime

import pytest
import redis
import sqlalchemy as sa
from celery import shared_task

from app import create_app
from app.allowance.models import AllowanceRun, AllowanceRunPart, RunState
from app.core import tasks as core_tasks
from app.core.importing import ImportJob, JobState
from app.core.task_runs import TaskRun
from app.extensions import db, limiter
from app.main import system_queries
from app.reminders.models import Channel, Delivery, DeliveryState, Notice
from tests import services
from tests.factories import login

DEAD_REDIS = "redis://127.0.0.1:1/0"
SECTIONS = ("workers", "queues", "tasks", "imports", "deliveries", "allowance", "database-size", "migrations")


@shared_task(name="tests.system_page_boom")
def boom() -> None:
    raise RuntimeError("the disk is full (worker 11010519491231002X, 13800000001)")


def _failures(world) -> None:
    job = ImportJob(kind="posts", filename="岗位.xlsx", user_id=world.coord_a.id, token="0" * 32)
    job.state, job.errors = JobState.failed, ["第 3 行：身份证号格式不对"]
    notice = Notice(user_id=world.coord_a.id, kind="session_moved", target="session:1", occurrence="x", params={})
    db.session.add_all([job, notice])
    db.session.flush()
    db.session.add_all(
        [
            Delivery(
                notice_id=notice.id,
                channel=Channel.mail,
                address="a@example.org",
                state=DeliveryState.failed,
                attempts=5,
                last_error="550 mailbox unavailable",
            ),
            Delivery(notice_id=notice.id, channel=Channel.sms, address="13800000001", state=DeliveryState.pending),
        ]
    )
    db.session.commit()


def _page(client) -> str:
    response = client.get("/admin/system")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_admin_sees_each_section(client, world):
    _failures(world)
    login(client, world.admin.username)
    page = _page(client)
    for section in SECTIONS:
        assert f'id="{section}"' in page, section
    assert "第 3 行：身份证号格式不对" in page and "岗位.xlsx" in page  # the failed import and its error
    assert "550 mailbox unavailable" in page  # the latest failed delivery and why
    assert 'id="deliveries-pending">1<' in page and 'id="deliveries-failed">1<' in page
    assert "13800000001" not in page and "a@example.org" not in page  # no one's address
    assert "core.reap" in page and "reminders.send_pending" in page  # every task, run or not
    start = page.index('id="migrations"')
    assert "text-bg-success" in page[start : start + 200]  # the tests' database is at the head


def test_the_admin_menu_leads_to_the_system_page(client, world):
    login(client, world.admin.username)
    assert 'href="/admin/system"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("who", ("coord_a", "coord_city", "payroll_city", "worker_user"))
def test_no_one_else_sees_it(who, client, world):
    login(client, getattr(world, who).username)
    assert client.get("/admin/system").status_code == 403
    assert 'href="/admin/system"' not in client.get("/").get_data(as_text=True)


@pytest.fixture
def redis_down(app):
    """An app like the test app whose broker (and so its queues and workers) is a Redis that
    does not answer; the shared Redis is never stopped."""
    down = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        CELERY={**app.config["CELERY"], "broker_url": DEAD_REDIS, "result_backend": DEAD_REDIS},
    )
    yield down
    limiter.init_app(app)
    app.extensions["celery"].set_default()


def test_redis_unreachable_leaves_the_page_standing(redis_down, world):
    client = redis_down.test_client()
    login(client, world.admin.username)
    page = _page(client)
    for section in ("workers", "queues"):
        start = page.index(f'id="{section}"')
        assert "state-unreachable" in page[start : start + 400], section
    for section in ("tasks", "imports", "deliveries"):  # the database's sections still read
        start = page.index(f'id="{section}"')
        assert "state-unreachable" not in page[start : start + 400], section


def test_the_embedded_broker_shows_unknown_workers(app, client, world, monkeypatch):
    monkeypatch.setattr(app.extensions["celery"].conf, "broker_url", "sqla+sqlite:///nowhere.sqlite")
    login(client, world.admin.username)
    page = _page(client)
    start = page.index('id="workers"')
    assert "state-unknown" in page[start : start + 400]


def test_every_task_run_is_recorded_with_its_outcome(app_ctx, clock):
    moment = clock.move_to(datetime(2026, 11, 3, 10, 30))
    core_tasks.purge_old_uploads.delay()
    run = db.session.get(TaskRun, "core.purge_old_uploads")
    assert run.outcome == "success" and run.error is None
    assert run.started_at == run.finished_at == moment.astimezone(UTC)

    with pytest.raises(RuntimeError):
        boom.delay()
    run = db.session.get(TaskRun, "tests.system_page_boom")
    assert run.outcome == "failure" and run.error.startswith("RuntimeError: the disk is full")
    assert "11010519491231002X" not in run.error and "13800000001" not in run.error  # masked as in the log

    core_tasks.purge_old_uploads.delay()  # the second run replaces the first: one row per task
    assert db.session.query(TaskRun).filter_by(name="core.purge_old_uploads").count() == 1


def test_the_page_shows_a_tasks_last_run_in_beijing_time(client, world, clock):
    clock.move_to(datetime(2026, 11, 3, 10, 30))  # Beijing time
    core_tasks.purge_old_uploads.delay()
    login(client, world.admin.username)
    page = _page(client)
    row = page[page.index('id="task-core-purge_old_uploads"') :][:600]
    assert "2026-11-03 10:30:00" in row


@pytest.fixture
def redis_broker(app, monkeypatch):
    if not services.redis_available():
        services.missing("Redis")
    celery = app.extensions["celery"]
    queue = f"system-page-test-{os.getpid()}"
    monkeypatch.setitem(celery.conf, "broker_url", services.REDIS_URL)
    monkeypatch.setitem(celery.conf, "task_default_queue", queue)
    client = redis.Redis.from_url(services.REDIS_URL)
    client.delete(queue)
    yield client, queue
    client.delete(queue)
    client.close()


def test_on_redis_the_page_shows_each_queue_and_asks_the_workers(client, world, redis_broker):
    broker, queue = redis_broker
    broker.lpush(queue, "a", "b", "c")
    login(client, world.admin.username)
    page = _page(client)
    queues = page[page.index('id="queues"') : page.index('id="database"')]
    assert re.search(rf"<td>{queue}</td><td>3</td>", queues)
    workers = page[page.index('id="workers"') : page.index('id="queues"')]
    assert "state-unreachable" not in workers and "state-unknown" not in workers  # answered (maybe by none)


def test_a_month_being_computed_shows_its_parts_and_the_last_locked_month(client, world):
    locked = AllowanceRun(
        month=date(2030, 8, 1), state=RunState.locked, locked_at=datetime(2030, 9, 2, 1, 0, tzinfo=UTC)
    )
    computing = AllowanceRun(month=date(2030, 10, 1))
    computing.parts = [AllowanceRunPart(done=True), AllowanceRunPart(done=False, attempts=2), AllowanceRunPart()]
    db.session.add_all([locked, computing])
    db.session.commit()
    login(client, world.admin.username)
    page = _page(client)
    section = page[page.index('id="allowance"') : page.index('id="tasks"')]
    assert "2030-10" in section and "1 / 3" in section and "<td>2</td>" in section
    assert "2030-08 (2030-09-02 09:00)" in section  # locked at 01:00 UTC, 09:00 in Beijing


def test_a_section_whose_source_fails_says_so_and_the_others_still_show(client, world, monkeypatch):
    def broken():
        db.session.execute(sa.text("SELECT * FROM no_such_table"))

    monkeypatch.setitem(system_queries.READERS, "deliveries", broken)
    login(client, world.admin.username)
    page = _page(client)
    section = page[page.index('id="deliveries"') : page.index('id="allowance"')]
    assert "state-unreachable" in section
    tasks = page[page.index('id="tasks"') :]
    assert "core.reap" in tasks and "state-unreachable" not in tasks  # read after the failed one
