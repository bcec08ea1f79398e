"""The embedded default (`make run`): SQLite, kombu's sqla+sqlite broker and a real Celery worker.
While the worker computes a month, people sign in and browse: no page fails because a job runs.

SQLite is forced here even where PostgreSQL is available: the lock is SQLite's problem.
"""

import os
import random
import threading
import time

import pytest
import sqlalchemy as sa

from tests import services
from tests.factories import csrf_token

pytestmark = pytest.mark.no_db_transaction

PEOPLE = ("admin", "coord_yz", "coord_city", "payroll1", "payroll2")
PAGES = ("/", "/workers/", "/allowance/", "/notices", "/admin/audit/", "/exams/")
ROUNDS = 6  # sign-ins per person; bounded, so the test always ends


@pytest.fixture
def embedded(tmp_path):
    from flask_migrate import upgrade

    from app import create_app, demo
    from app.extensions import db
    from config import Config

    url = f"sqlite:///{tmp_path}/socialwork.sqlite"
    celery = {
        **Config.CELERY,
        "broker_url": f"sqla+sqlite:///{tmp_path}/celery-broker.sqlite",
        "result_backend": f"db+sqlite:///{tmp_path}/celery-results.sqlite",
        "task_default_queue": services.QUEUE,
    }
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=url, CELERY=celery, PROPAGATE_EXCEPTIONS=False, UPLOAD_DIR=str(tmp_path)
    )
    with app.app_context():
        upgrade()
        rng = random.Random(11)
        demo.seed_places(rng)
        demo.seed_workers(rng, 4000)
        demo.seed_exams(rng)
        demo.seed_accounts()
        db.session.commit()
        db.session.remove()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path), "APP_CONFIG": "development"})
    worker = services.start_celery_worker(env, "sqlite-busy", capture=True)
    # Its output is read as it comes: a pipe nobody reads fills up (64 KiB of warnings and
    # tracebacks) and the worker then blocks on its next log line, in the middle of the month.
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.extend(iter(worker.stdout.readline, b"")), daemon=True)
    reader.start()
    try:
        yield app
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        reader.join(timeout=10)
        print("the worker's output:", b"".join(output).decode(errors="replace")[-10000:])  # shown on a failure
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _start_month(app):
    from app.allowance import services as allowance
    from app.allowance import tasks
    from app.allowance.rules import Month
    from app.core.timeutil import local_today
    from app.extensions import db

    with app.app_context():
        month = Month(local_today().replace(day=1)).shift(-1)
        run, districts = allowance.start_compute(month, None)
        db.session.commit()
        tasks.queue_compute(run.id, districts)  # to the embedded broker, as the page does
        run_id = run.id
        db.session.remove()
    return run_id, month


def _computed(app, run_id) -> bool:
    from app.allowance.models import AllowanceRun
    from app.extensions import db

    with app.app_context():
        done = db.session.scalar(sa.select(AllowanceRun.computed_at).where(AllowanceRun.id == run_id)) is not None
        db.session.remove()
        return done


def _taken(app, run_id) -> bool:
    """Whether the worker has taken a part of the run (it records so before it computes)."""
    from app.allowance.models import AllowanceRunPart
    from app.extensions import db

    with app.app_context():
        taken = db.session.scalar(
            sa.select(sa.func.count()).where(AllowanceRunPart.run_id == run_id, AllowanceRunPart.attempts >= 1)
        )
        db.session.remove()
        return bool(taken)


def _wait(check, timeout) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def _person(app, username, run_id, month, results):
    try:
        _sign_in_and_browse(app, username, run_id, month, results)
    except Exception as exc:  # a page that raised instead of answering is a failure too
        results.append((username, "raised", 599, repr(exc)[:300]))


def _sign_in_and_browse(app, username, run_id, month, results):
    from app.demo import DEMO_PASSWORD

    for _ in range(ROUNDS):
        client = app.test_client()
        token = csrf_token(client, "/login")
        signed_in = client.post("/login", data={"login": username, "password": DEMO_PASSWORD, "csrf_token": token})
        computing = not _computed(app, run_id)
        results.append((username, "/login", signed_in.status_code, computing))
        for page in (*PAGES, f"/allowance/runs/{month}"):
            results.append((username, page, client.get(page).status_code, computing))


def test_people_sign_in_and_browse_while_a_real_worker_computes_a_month(embedded):
    app = embedded
    run_id, month = _start_month(app)
    # People come once the worker computes (it starts in a few seconds, or a minute on a busy
    # machine): pages served before that would prove nothing.
    assert _wait(lambda: _taken(app, run_id), timeout=300), "the worker never took a part of the month"
    results: list[tuple] = []
    people = [threading.Thread(target=_person, args=(app, name, run_id, month, results)) for name in PEOPLE]
    for t in people:
        t.start()
    for t in people:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in people)

    failed = [r for r in results if r[2] >= 500]
    assert not failed, failed
    sign_ins = [r for r in results if r[1] == "/login"]
    assert len(sign_ins) == len(PEOPLE) * ROUNDS
    assert all(status == 302 for _, _, status, _ in sign_ins), sign_ins
    assert any(computing for *_, computing in sign_ins), "the month was computed before anyone signed in"
    assert _wait(lambda: _computed(app, run_id), timeout=300), "the worker never finished the month"
