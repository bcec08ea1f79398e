"""Redis stopped (issue #13, Outages): Compute and an import's confirm never answer 500 nor leave
half-done work. They write the run or the job as queued, say that the queue is unavailable and
that the work starts by itself, and the reaper sends it once the broker answers again.

The shared Redis is never stopped: the Celery broker of a second app points at a port nothing
listens on, which is what a stopped Redis looks like to the app (as in tests/core/test_outage.py).
"""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.allowance.models import AllowanceRun, AllowanceRunPart
from app.core import reaper
from app.core.importing import ImportJob, JobState
from app.core.timeutil import utcnow
from app.extensions import db, limiter
from app.workers.models import Worker
from tests import factories as f
from tests.factories import csrf_token, login, post

DEAD_REDIS = "redis://127.0.0.1:1/0"
UNAVAILABLE = ("queue is unavailable", "队列暂时不可用")


@pytest.fixture
def broker_down(app):
    """An app like the test app whose Celery broker is a Redis that does not answer (not eager)."""
    celery = {**app.config["CELERY"], "broker_url": DEAD_REDIS, "task_always_eager": False}
    same = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_DIR")}
    down = create_app("testing", CELERY=celery, **same)
    down.extensions["celery"].set_current()
    yield down
    limiter.init_app(app)
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()
    down.extensions["celery"].close()


def _resume_once_the_broker_is_back(clock):
    """Minutes later, with the broker back (the test app's eager Celery), beat runs the reaper."""
    clock.move_to(utcnow() + timedelta(minutes=10), tick=True)
    return reaper.reap()


def test_compute_with_the_broker_down_records_the_run_and_the_reaper_computes_it_later(app, broker_down, world, clock):
    client = broker_down.test_client()
    login(client, world.payroll_city.username)
    response = post(client, "/allowance/compute", {"month": "2026-09"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/allowance/runs/2026-09")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert any(words in page for words in UNAVAILABLE)
    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.month == sa.func.date("2026-09-01")))
    parts = db.session.scalars(sa.select(AllowanceRunPart).where(AllowanceRunPart.run_id == run.id)).all()
    assert parts and all(p.queued_at is not None and not p.done and p.claimed_at is None for p in parts)

    app.extensions["celery"].set_current()
    counts = _resume_once_the_broker_is_back(clock)
    assert counts["requeue_stalled_parts"] >= len(parts)  # the world's 2026-10 draft is resumed too
    db.session.expire_all()
    assert run.computed_at is not None and all(p.done for p in run.parts)


def test_an_import_confirmed_with_the_broker_down_stays_queued_and_the_reaper_applies_it_later(
    app, broker_down, world, clock
):
    client = broker_down.test_client()
    login(client, world.coord_a.username)
    number = f.id_number()
    row = f"{number},吴静,{world.community_a.code},专职工作人员,2024-01-01"
    content = f"身份证号,姓名,社区代码,岗位,到岗日期\r\n{row}\r\n"
    preview = client.post(
        "/workers/import",
        data={"csrf_token": csrf_token(client, "/workers/import"), "file": (io.BytesIO(content.encode()), "p.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', preview).group(1)
    confirm = client.post(
        "/workers/import/confirm", data={"csrf_token": csrf_token(client, "/workers/import"), "token": token}
    )
    assert confirm.status_code == 302
    page = client.get(confirm.headers["Location"]).get_data(as_text=True)
    assert any(words in page for words in UNAVAILABLE)
    job = db.session.scalar(sa.select(ImportJob).where(ImportJob.token == token))
    assert job.state == JobState.queued and job.queued_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).where(Worker.id_number == number)) == 0

    app.extensions["celery"].set_current()
    assert _resume_once_the_broker_is_back(clock)["requeue_imports"] == 1
    db.session.expire_all()
    assert job.state == JobState.done, job.errors
    assert db.session.scalar(sa.select(sa.func.count()).where(Worker.id_number == number)) == 1
