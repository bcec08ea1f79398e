"""A real Celery worker process on Redis applies a confirmed import (no eager mode, no mocks)."""

import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import services

pytestmark = pytest.mark.no_db_transaction
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_db(tmp_path):
    url = services.postgres_database(f"socialwork_celery_{os.getpid()}") or f"sqlite:///{tmp_path}/celery.sqlite"
    yield url
    if url.startswith("postgresql"):
        services.drop_postgres_database(sa.engine.make_url(url).database)


def test_a_real_worker_on_redis_runs_the_import_job(tmp_path, worker_db):
    if not services.redis_available():
        services.missing("Redis")
    from flask_migrate import upgrade

    from app import create_app
    from app.core import importing
    from app.core.access import Role
    from app.extensions import db
    from app.workers.models import Worker
    from tests import factories as f

    instance = tmp_path / "instance"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=worker_db, UPLOAD_DIR=str(instance / "uploads"))
    with app.app_context():
        upgrade()
        community = f.community("500103")
        user = f.user(Role.coordinator, "celery_coord", districts=["500103"])
        number = f.id_number()
        content = f"身份证号,姓名,社区代码,岗位,到岗日期\r\n{number},钱勇,{community.code},专职工作人员,2024-01-01\r\n"
        token = importing.stage_upload("posts", "posts.csv", content.encode(), user.id)
        job = importing.ImportJob(kind="posts", filename="posts.csv", user_id=user.id, token=token)
        db.session.add(job)
        db.session.commit()
        job_id = job.id

    env = {
        **os.environ,
        "DATABASE_URL": worker_db,
        "REDIS_URL": services.REDIS_URL,
        "INSTANCE_PATH": str(instance),
        "APP_CONFIG": "development",
    }
    worker = services.start_celery_worker(env, "import", capture=True)
    try:
        services.send_task("core.apply_import", [job_id])
        state = None
        deadline = time.monotonic() + 60
        with app.app_context():
            while time.monotonic() < deadline:
                db.session.expire_all()
                state = db.session.get(importing.ImportJob, job_id).state
                if state in (importing.JobState.done, importing.JobState.failed):
                    break
                time.sleep(0.3)
            assert state == importing.JobState.done, _output(worker)
            assert db.session.scalar(sa.select(Worker.name).where(Worker.id_number == number)) == "钱勇"
            db.session.remove()
            db.engine.dispose()
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _output(process) -> str:
    process.terminate()
    out, _ = process.communicate(timeout=30)
    return out.decode(errors="replace")[-3000:]
