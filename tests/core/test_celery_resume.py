"""Jobs that resume without a person (issue #13): real Celery worker and beat processes on Redis.

A worker is killed (SIGKILL, the whole process) in the middle of a month's compute or of an
import; its message stays unacknowledged in Redis for the hour of the visibility timeout. The
process manager starts a new worker, and beat's reaper (every second here, with short
thresholds) finds the work the database holds as unfinished and queues it again: the month
ends line for line equal to a clean run, the import applied once. Nobody presses a button.
"""

import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import services
from tests.allowance.snapshot import month_lines

pytestmark = pytest.mark.no_db_transaction
ROOT = Path(__file__).resolve().parents[2]
MONTH = "2026-06"
REAPER = {"REAPER_EVERY_SECONDS": "1", "REAPER_DEAD_SECONDS": "2", "REAPER_STALL_SECONDS": "4"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    if not services.redis_available():
        services.missing("Redis")
    from flask_migrate import upgrade

    import config
    from app import create_app, demo
    from app.extensions import db

    tmp = tmp_path_factory.mktemp("resume")
    url = services.postgres_database(f"socialwork_resume_{os.getpid()}") or f"sqlite:///{tmp}/r.sqlite"
    celery = {
        **config.Config.CELERY,
        "task_default_queue": services.QUEUE,  # the queues of this test run, as its workers see them
        "broker_url": services.REDIS_URL,
    }
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp / "uploads"), CELERY=celery)
    with app.app_context():
        upgrade()
        rng = random.Random(11)
        demo.seed_places(rng)
        demo.seed_workers(rng, 4000)
        demo.seed_exams(rng)
        db.session.commit()
    worker_env = {
        **os.environ,
        **REAPER,
        "DATABASE_URL": url,
        "REDIS_URL": services.REDIS_URL,
        "INSTANCE_PATH": str(tmp),
        "APP_CONFIG": "development",
        "CELERY_QUEUE": services.QUEUE,
    }
    yield app, worker_env, tmp
    _purge()  # nothing of these tests is left for the next test's workers on this run's queues
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].close()
    if url.startswith("postgresql"):
        services.drop_postgres_database(sa.engine.make_url(url).database)


def _purge():
    import redis

    from app.core.celery import QUEUES, queue_name

    r = redis.Redis.from_url(services.REDIS_URL)
    r.delete(*[queue_name(services.QUEUE, q) for q in QUEUES])


def _beat(worker_env, tmp, log: Path | None = None):
    """celery beat, as the Procfile starts it (with the tick guard of app/core/celery.py); its
    log lines go to `log` when given."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (the process writes it until it stops)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.clocked", "celery", "-A", "worker.celery_app", "beat"]
        + [f"--loglevel={'INFO' if log else 'WARNING'}", "--schedule", str(tmp / f"beat-{time.monotonic_ns()}")],
        cwd=ROOT,
        env=worker_env,
        stdout=out,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
    )


def _stop(*processes):
    for p in processes:
        if p.poll() is None:
            p.terminate()
    for p in processes:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def _wait(check, timeout=120, every=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out; last: {check()}")


def _lines(app):
    return month_lines(app, date(2026, 6, 1))


def _parts(app, run_id, queued=None):
    """(parts done, run finished, parts queued again since `queued`, when queue_compute queued them)."""
    from app.allowance.models import AllowanceRun, AllowanceRunPart
    from app.extensions import db

    with app.app_context():
        parts = db.session.scalars(sa.select(AllowanceRunPart).where(AllowanceRunPart.run_id == run_id)).all()
        state = (
            sum(p.done for p in parts),
            db.session.get(AllowanceRun, run_id).computed_at is not None,
            sum(queued is not None and p.queued_at > queued for p in parts),
        )
        db.session.remove()
        return state


@pytest.fixture(scope="module")
def clean(env):
    """The month's lines computed in this process, part after part: what every run must equal."""
    from app.allowance import compute
    from app.allowance import services as allowance
    from app.allowance.rules import Month
    from app.extensions import db

    app = env[0]
    with app.app_context():
        run, districts = allowance.start_compute(Month.parse(MONTH), None)
        for d in districts:
            compute.compute_part(run.id, d)
        allowance.finish_if_complete(run.id)
        db.session.commit()
        db.session.remove()
    lines = _lines(app)
    assert len(lines) > 500
    return lines


def _queue_month(app):
    """Compute pressed: the run recorded and its parts sent to this run's compute queue."""
    from app.allowance import services as allowance
    from app.allowance.models import AllowanceRun
    from app.allowance.rules import Month
    from app.allowance.tasks import queue_compute
    from app.extensions import db

    with app.app_context():
        run, districts = allowance.start_compute(Month.parse(MONTH), None)
        db.session.commit()
        run_id = run.id
        assert queue_compute(run_id, districts)
        queued = db.session.get(AllowanceRun, run_id).parts[0].queued_at
        db.session.remove()
    return run_id, len(districts), queued


def _taken_unfinished(app, run_id) -> list:
    """The districts of the parts a worker has taken (since the run was queued) and not finished."""
    from app.allowance.models import AllowanceRunPart
    from app.extensions import db

    with app.app_context():
        taken = db.session.scalars(
            sa.select(AllowanceRunPart.district_id).where(
                AllowanceRunPart.run_id == run_id, AllowanceRunPart.attempts >= 1, AllowanceRunPart.done.is_(False)
            )
        ).all()
        db.session.remove()
        return taken


def _connections(app, name: str) -> int:
    """How many PostgreSQL connections the process started with PGAPPNAME=`name` still has: none
    once the server has committed or rolled back everything that process sent before it died."""
    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return 0
        n = db.session.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"), {"n": name})
        db.session.remove()
        return n


def _attempts(app, run_id, districts) -> list[int]:
    from app.allowance.models import AllowanceRunPart
    from app.extensions import db

    with app.app_context():
        parts = db.session.scalars(sa.select(AllowanceRunPart).where(AllowanceRunPart.run_id == run_id)).all()
        attempts = [p.attempts for p in parts if p.district_id in districts]
        db.session.remove()
        return attempts


def _kill_mid_part(app, worker_env, run_id) -> list:
    """A worker killed (SIGKILL) while it provably computes a part: the districts of the parts it
    had taken and left unfinished. Killed between two parts (it had acknowledged one and not yet
    fetched the next message), a worker leaves nothing for the reaper: the next worker simply takes
    the parts from the queue. That is checked once the server has closed every connection of the
    dead worker (so no commit of it is still on its way), and another worker is tried then."""
    for attempt in range(5):
        name = f"victim{attempt}-{os.getpid()}"
        victim = services.start_celery_worker({**worker_env, "PGAPPNAME": name}, name)
        try:
            _wait(lambda: _taken_unfinished(app, run_id) or _parts(app, run_id)[1], timeout=180)
        finally:
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait(timeout=30)
        _wait(lambda name=name: _connections(app, name) == 0, timeout=60)
        taken = _taken_unfinished(app, run_id)
        if taken or _parts(app, run_id)[1]:
            return taken
    raise AssertionError("five workers were each killed between two parts")


def test_a_worker_killed_mid_compute_is_resumed_by_the_reaper_and_the_month_equals_a_clean_run(env, clean):
    app, worker_env, tmp = env
    _purge()
    beat = _beat(worker_env, tmp)
    restarted = None
    try:
        run_id, parts, queued = _queue_month(app)
        taken = _kill_mid_part(app, worker_env, run_id)
        done, finished, _ = _parts(app, run_id)
        assert taken and not finished and done < parts, "the kill came too late to test anything"
        restarted = services.start_celery_worker(worker_env, "restarted")  # the process manager's restart
        _wait(lambda: _parts(app, run_id)[1], timeout=180, every=0.2)
        assert _parts(app, run_id, queued)[2] >= 1, "no part was queued again: the reaper did not act"
        assert all(n >= 2 for n in _attempts(app, run_id, taken)), "the killed part was not taken again"
    finally:
        _stop(beat, *([restarted] if restarted else []))
    assert _lines(app) == clean


def test_parts_lost_with_redis_s_queue_are_sent_again_by_the_reaper(env, clean):
    """Redis restarted without its data while the parts waited in the queue."""
    app, worker_env, tmp = env
    _purge()
    run_id, parts, queued = _queue_month(app)
    _purge()  # every queued part is gone from the broker; the database still says what to do
    worker, beat = services.start_celery_worker(worker_env, "after-redis"), _beat(worker_env, tmp)
    try:
        _wait(lambda: _parts(app, run_id)[1], timeout=120, every=0.2)
        assert _parts(app, run_id, queued)[2] == parts  # every part queued again, by the reaper
    finally:
        _stop(worker, beat)
    assert _lines(app) == clean


def _posts_file(community_code: str, n: int, first: int = 0) -> bytes:
    from app.core.identity import make_id_number

    rows = ["身份证号,姓名,社区代码,岗位,到岗日期"]
    for i in range(first, first + n):
        number = make_id_number("500103", date(1960, 1, 1) + timedelta(days=i // 900), i % 900)
        rows.append(f"{number},工作者{i},{community_code},专职工作人员,2024-01-01")
    return ("\r\n".join(rows) + "\r\n").encode()


def _import_job(app, username: str, rows: int, first: int = 0) -> tuple[int, int]:
    """A confirmed import of `rows` new workers, recorded as queued: (job id, workers before)."""
    from app.core import importing
    from app.core.access import Role
    from app.extensions import db
    from app.workers.models import Worker
    from tests import factories as f

    with app.app_context():
        community = f.community("500103")
        user = f.user(Role.coordinator, username, districts=["500103"])
        token = importing.stage_upload("posts", "posts.csv", _posts_file(community.code, rows, first), user.id)
        job = importing.ImportJob(kind="posts", filename="posts.csv", user_id=user.id, token=token)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Worker))
        db.session.remove()
    return job_id, before


def _job_state(app, job_id):
    from app.core import importing
    from app.extensions import db
    from app.workers.models import Worker

    with app.app_context():
        job = db.session.get(importing.ImportJob, job_id)
        state = (job.state, job.attempts, db.session.scalar(sa.select(sa.func.count()).select_from(Worker)))
        db.session.remove()
        return state


def _finished(app, job_id):
    from app.core.importing import JobState

    state = _job_state(app, job_id)
    return state if state[0] in (JobState.done, JobState.failed) else None


def test_an_import_whose_worker_was_killed_is_resumed_by_the_reaper_and_applied_once(env):
    from app.core.importing import JobState
    from app.core.tasks import queue_import

    app, worker_env, tmp = env
    job_id, before = _import_job(app, "resume_coord", 6000)
    _purge()
    victim = services.start_celery_worker(worker_env, "import-victim")
    beat = _beat(worker_env, tmp)
    restarted = None
    try:
        with app.app_context():
            assert queue_import(job_id)  # to this run's imports queue
        _wait(lambda: _job_state(app, job_id)[0] == JobState.running)
        time.sleep(0.3)  # well into the file
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        assert _job_state(app, job_id)[:2] == (JobState.running, 1), "the kill came too late to test anything"
        restarted = services.start_celery_worker(worker_env, "import-restarted")
        state = _wait(lambda: _finished(app, job_id))
    finally:
        _stop(victim, beat, *([restarted] if restarted else []))
    assert state == (JobState.done, 2, before + 6000)  # taken twice, applied once


def test_an_import_lost_with_redis_s_queue_is_applied_once_the_reaper_sends_it(env):
    from app.core.importing import JobState
    from app.core.tasks import queue_import

    app, worker_env, tmp = env
    job_id, before = _import_job(app, "lost_coord", 50, first=90000)
    _purge()
    with app.app_context():
        assert queue_import(job_id)
    _purge()  # Redis restarted without its data: the job's message is gone, the job says queued
    worker, beat = services.start_celery_worker(worker_env, "import-after-redis"), _beat(worker_env, tmp)
    try:
        state = _wait(lambda: _finished(app, job_id))
    finally:
        _stop(worker, beat)
    assert state == (JobState.done, 1, before + 50)


def test_two_beats_send_each_tick_once(env):
    """One beat by mistake too many (or one per host): the reaper, due every second, is sent
    once a second, not twice (beat's scheduler claims each tick in the database first)."""
    import json

    import redis

    from app.core.celery import queue_name

    app, worker_env, tmp = env
    _purge()
    r = redis.Redis.from_url(services.REDIS_URL)
    default = queue_name(services.QUEUE, "default")
    logs = [tmp / f"two-beats-{i}.log" for i in (1, 2)]
    beats = [_beat(worker_env, tmp, log) for log in logs]

    def reaps() -> int:
        return sum(json.loads(m)["headers"]["task"] == "core.reap" for m in r.lrange(default, 0, -1))

    try:
        _wait(lambda: all("beat: Starting" in log.read_text(errors="replace") for log in logs), timeout=90, every=0.2)
        _wait(lambda: reaps() >= 1, timeout=30, every=0.1)  # both beats are ticking
        first, started = reaps(), time.monotonic()
        time.sleep(8)
        sent, elapsed = reaps() - first, time.monotonic() - started
    finally:
        _stop(*beats)
        _purge()
    assert 3 <= sent <= elapsed + 1, sent  # two beats unguarded: about twice as many
