"""A real Celery worker on Redis records each task's last run (app/core/task_runs.py) on a
connection of its own, and the admin's system page names the worker online (issue #13)."""

import os
import time

import pytest
import sqlalchemy as sa

from app.core.access import Role
from app.core.task_runs import TaskRun
from app.extensions import db
from tests import factories as f
from tests import services

pytestmark = pytest.mark.no_db_transaction


@pytest.fixture
def worker_db(tmp_path):
    url = services.postgres_database(f"socialwork_taskrun_{os.getpid()}") or f"sqlite:///{tmp_path}/taskrun.sqlite"
    yield url
    if url.startswith("postgresql"):
        services.drop_postgres_database(sa.engine.make_url(url).database)


def _wait_for(site, name: str, outcome: str, worker) -> TaskRun:
    deadline = time.monotonic() + 60
    with site.app_context():
        while time.monotonic() < deadline:
            db.session.expire_all()
            run = db.session.get(TaskRun, name)
            if run is not None and run.outcome == outcome:
                db.session.expunge(run)
                return run
            time.sleep(0.3)
    worker.terminate()
    out, _ = worker.communicate(timeout=30)
    pytest.fail(f"{name} was not recorded as {outcome}:\n{(out or b'').decode(errors='replace')[-3000:]}")


def test_a_real_worker_records_each_run_and_the_page_names_it(tmp_path, worker_db, app):
    if not services.redis_available():
        services.missing("Redis")
    from flask_migrate import upgrade  # the worker's own database, migrated here

    from app import create_app

    instance = tmp_path / "instance"
    celery = {**app.config["CELERY"], "broker_url": services.REDIS_URL, "task_default_queue": services.QUEUE}
    site = create_app("testing", SQLALCHEMY_DATABASE_URI=worker_db, UPLOAD_DIR=str(instance / "uploads"), CELERY=celery)
    with site.app_context():
        upgrade()
        f.user(Role.admin, "taskrun_admin")
        db.session.commit()
    env = {
        **os.environ,
        "DATABASE_URL": worker_db,
        "REDIS_URL": services.REDIS_URL,
        "INSTANCE_PATH": str(instance),
        "APP_CONFIG": "development",
    }
    worker = services.start_celery_worker(env, "taskrun", capture=True)
    try:
        services.send_task("core.purge_old_uploads")
        run = _wait_for(site, "core.purge_old_uploads", "success", worker)
        assert run.started_at <= run.finished_at and run.error is None
        services.send_task("core.purge_old_uploads", [1])  # a wrong argument: the task raises
        run = _wait_for(site, "core.purge_old_uploads", "failure", worker)
        assert run.error.startswith("TypeError")

        client = site.test_client()
        f.login(client, "taskrun_admin")
        page = client.get("/admin/system").get_data(as_text=True)
        assert f"taskrun-{os.getpid()}@" in page  # the worker answered the stats broadcast
        with site.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        app.extensions["celery"].set_default()
