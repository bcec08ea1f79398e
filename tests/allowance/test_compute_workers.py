"""Real Celery worker processes on Redis compute a month: killed mid-way, or two at once, the
run ends equal, line for line, to a clean run computed in one process."""

import os
import random
import signal
import time
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import services
from tests.allowance.snapshot import month_lines

pytestmark = pytest.mark.no_db_transaction
ROOT = Path(__file__).resolve().parents[2]
MONTH = "2026-06"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    if not services.redis_available():
        services.missing("Redis")
    from flask_migrate import upgrade

    from app import create_app, demo
    from app.extensions import db

    tmp = tmp_path_factory.mktemp("allowance-workers")
    url = services.postgres_database(f"socialwork_allowance_{os.getpid()}") or f"sqlite:///{tmp}/a.sqlite"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        rng = random.Random(7)
        demo.seed_places(rng)
        demo.seed_workers(rng, 6000)
        demo.seed_exams(rng)
        db.session.commit()
    worker_env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": services.REDIS_URL,
        "INSTANCE_PATH": str(tmp),
        "APP_CONFIG": "development",
    }
    yield app, worker_env
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if url.startswith("postgresql"):
        services.drop_postgres_database(sa.engine.make_url(url).database)


def _snapshot(app):
    return month_lines(app, date(2026, 6, 1))  # MONTH


def _compute_in_process(app):
    from app.allowance import compute
    from app.allowance import services as allowance
    from app.allowance.rules import Month
    from app.extensions import db

    with app.app_context():
        run, districts = allowance.start_compute(Month.parse(MONTH), None)
        for d in districts:
            compute.compute_part(run.id, d)
        allowance.finish_if_complete(run.id)
        db.session.commit()
        db.session.remove()


def _queue(app):

    from app.allowance import services as allowance
    from app.allowance.rules import Month
    from app.extensions import db

    with app.app_context():
        run, districts = allowance.start_compute(Month.parse(MONTH), None)
        db.session.commit()
        run_id = run.id
        db.session.remove()
    for d in districts:
        services.send_task("allowance.compute_part", [run_id, d])
    return run_id, len(districts)


def _parts_done(app, run_id):
    from app.allowance.models import AllowanceRun, AllowanceRunPart
    from app.extensions import db

    with app.app_context():
        done = db.session.scalar(
            sa.select(sa.func.count()).where(AllowanceRunPart.run_id == run_id, AllowanceRunPart.done.is_(True))
        )
        finished = db.session.get(AllowanceRun, run_id).computed_at is not None
        db.session.remove()
        return done, finished


def _start_worker(env, name):
    return services.start_celery_worker(env, name)


def _wait(app, run_id, until, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _parts_done(app, run_id)
        if until(*state):
            return state
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting; parts done/finished = {state}")


def _purge_queue():

    services.purge_queue()


def test_a_worker_killed_mid_compute_then_a_rerun_equals_a_clean_run(env):
    app, worker_env = env
    _compute_in_process(app)
    clean = _snapshot(app)
    assert len(clean) > 1000
    _purge_queue()
    worker = _start_worker(worker_env, "victim")
    try:
        run_id, parts = _queue(app)
        done, _ = _wait(app, run_id, lambda done, finished: done >= 3)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        done, finished = _parts_done(app, run_id)
        assert not finished and done < parts, "the kill came too late to test anything"
    finally:
        if worker.poll() is None:
            worker.kill()
    worker = _start_worker(worker_env, "restarted")
    try:
        run_id, parts = _queue(app)  # the rerun
        _wait(app, run_id, lambda done, finished: finished)
        time.sleep(1)  # let stragglers of the killed round finish too
        _wait(app, run_id, lambda done, finished: finished)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert _snapshot(app) == clean


def test_two_workers_computing_the_same_month_at_once_never_duplicate_a_line(env):
    app, worker_env = env
    _compute_in_process(app)
    clean = _snapshot(app)
    _purge_queue()
    workers = [_start_worker(worker_env, "one"), _start_worker(worker_env, "two")]
    try:
        _queue(app)
        run_id, _parts = _queue(app)  # computing twice, shared by two processes
        _wait(app, run_id, lambda done, finished: finished)
        deadline = time.monotonic() + 60
        import redis

        queue = redis.Redis.from_url(services.REDIS_URL)
        while queue.llen(services.QUEUE) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=30)
    assert _snapshot(app) == clean
