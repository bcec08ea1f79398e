"""The reaper (app/core/reaper.py): the database is the record of what must be done; work whose
message or worker was lost is queued again, work still in hand is left alone (issue #13).

Celery runs eagerly here, so work the reaper queues again is done before `reap()` returns;
tests/core/test_celery_resume.py does the same with real worker processes."""

from datetime import timedelta

import sqlalchemy as sa

from app.allowance.models import AllowanceRun, AllowanceRunPart
from app.core import importing, reaper
from app.core.importing import ImportJob, JobState
from app.core.timeutil import utcnow
from app.extensions import db
from app.workers.models import Worker
from tests import factories as f


def _job(world, **columns) -> ImportJob:
    number = f.id_number()
    row = f"{number},周敏,{world.community_a.code},专职工作人员,2024-01-01"
    content = f"身份证号,姓名,社区代码,岗位,到岗日期\r\n{row}\r\n"
    token = importing.stage_upload("posts", "posts.csv", content.encode(), world.coord_a.id)
    job = ImportJob(kind="posts", filename="posts.csv", user_id=world.coord_a.id, token=token, **columns)
    db.session.add(job)
    db.session.commit()
    job.number = number
    return job


def _applied(job) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).where(Worker.id_number == job.number)) == 1


def test_an_import_queued_but_never_taken_is_sent_again_once_it_stalled(app_ctx, world):
    lost = _job(world, queued_at=utcnow() - timedelta(minutes=10))  # e.g. queued just before Redis restarted
    fresh = _job(world)  # queued a moment ago: its message is still on its way
    counts = reaper.reap()
    assert counts["requeue_imports"] == 1
    db.session.expire_all()
    assert lost.state == JobState.done and lost.attempts == 1 and _applied(lost)
    assert fresh.state == JobState.queued and not _applied(fresh)


def test_a_running_import_whose_worker_is_gone_is_sent_again_and_applied_once(app_ctx, world):
    long_ago = utcnow() - timedelta(hours=1)
    job = _job(world, state=JobState.running, queued_at=long_ago, claimed_at=long_ago, attempts=1)
    reaper.reap()
    db.session.expire_all()
    assert job.state == JobState.done and job.attempts == 2 and _applied(job)
    assert reaper.reap()["requeue_imports"] == 0  # done: nothing left to do


def test_an_import_that_stopped_too_often_fails_and_says_why(app, app_ctx, world):
    long_ago = utcnow() - timedelta(hours=1)
    limit = app.config["REAPER_MAX_ATTEMPTS"]
    job = _job(world, state=JobState.running, queued_at=long_ago, claimed_at=long_ago, attempts=limit)
    assert reaper.reap()["requeue_imports"] == 0
    db.session.expire_all()
    assert job.state == JobState.failed and job.finished_at is not None and not _applied(job)
    assert len(job.errors) == 1  # the reason, on the job's page


def _parts(run):
    return db.session.scalars(sa.select(AllowanceRunPart).where(AllowanceRunPart.run_id == run.id)).all()


def test_the_parts_of_a_run_whose_messages_were_lost_are_computed_and_the_run_finished(app_ctx, world):
    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.computed_at.is_(None)))  # the world's 2026-10
    parts = _parts(run)
    assert parts and not any(p.done for p in parts)
    for p in parts:
        p.queued_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    assert reaper.reap()["requeue_stalled_parts"] == len(parts)
    db.session.expire_all()
    assert all(p.done and p.attempts == 1 for p in _parts(run)) and run.computed_at is not None


def test_parts_queued_a_moment_ago_are_left_to_their_messages(app_ctx, world):
    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.computed_at.is_(None)))
    for p in _parts(run):
        p.queued_at = utcnow()
    db.session.commit()
    assert reaper.reap()["requeue_stalled_parts"] == 0
    db.session.expire_all()
    assert not any(p.done for p in _parts(run))


def test_a_run_whose_last_worker_died_before_marking_it_computed_is_finished(app_ctx, world):
    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.computed_at.is_(None)))
    for p in _parts(run):
        p.done, p.queued_at, p.claimed_at, p.attempts = True, utcnow(), utcnow(), 1
    db.session.commit()
    assert reaper.reap()["requeue_stalled_parts"] == 0
    db.session.expire_all()
    assert run.computed_at is not None


def test_one_failing_reaper_never_stops_the_others(app_ctx, world):
    def broken() -> int:
        raise RuntimeError("a bug in one domain")

    reaper.register(broken)
    try:
        lost = _job(world, queued_at=utcnow() - timedelta(minutes=10))
        counts = reaper.reap()
    finally:
        reaper.REAPERS.remove(broken)
    assert "broken" not in counts and counts["requeue_imports"] == 1
    db.session.expire_all()
    assert lost.state == JobState.done


def test_a_second_copy_of_a_message_finds_the_work_done_and_does_nothing(app_ctx, world):
    from app.allowance.tasks import compute_part
    from app.core.tasks import apply_import

    job = _job(world)
    apply_import(job.id)
    assert apply_import(job.id) == "done"
    db.session.expire_all()
    assert job.attempts == 1
    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.computed_at.is_(None)))
    part = _parts(run)[0]
    first = compute_part(run.id, part.district_id)
    assert compute_part(run.id, part.district_id) == 0
    db.session.expire_all()
    assert part.done and part.attempts == 1 and part.lines == first


def test_the_pages_say_when_work_is_being_resumed(app, client, world):
    from tests.factories import login

    long_ago = utcnow() - timedelta(minutes=5)
    job = _job(world, state=JobState.running, queued_at=utcnow(), claimed_at=long_ago, attempts=2)
    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.computed_at.is_(None)))
    _parts(run)[0].attempts = 2
    db.session.commit()
    login(client, world.coord_a.username)
    assert 'id="job-resumed"' in client.get(f"/imports/{job.id}").get_data(as_text=True)
    payroll = app.test_client()
    login(payroll, world.payroll_city.username)
    assert 'id="resumed"' in payroll.get(f"/allowance/runs/{run.month:%Y-%m}").get_data(as_text=True)


def test_the_run_page_says_when_a_part_is_no_longer_resumed(app, world):
    from tests.factories import login

    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.computed_at.is_(None)))
    _parts(run)[0].attempts = app.config["REAPER_MAX_ATTEMPTS"]
    db.session.commit()
    payroll = app.test_client()
    login(payroll, world.payroll_city.username)
    page = payroll.get(f"/allowance/runs/{run.month:%Y-%m}").get_data(as_text=True)
    assert 'id="given-up"' in page and 'id="resumed"' not in page


def test_without_a_redis_broker_the_age_rule_decides(app, app_ctx, world, clock):
    """The suite's own app (the embedded broker, or Redis with eager tasks): the world's run,
    its parts queued a moment ago, is left alone until REAPER_STALL_SECONDS have passed."""
    from app.core import broker

    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.computed_at.is_(None)))
    for part in run.parts:
        part.queued_at = utcnow()
    db.session.commit()
    if broker.snapshot("allowance.compute_part") is None:
        clock.move_to(utcnow() + timedelta(seconds=15), tick=True)
        assert reaper.reap()["requeue_stalled_parts"] == 0
    clock.move_to(utcnow() + timedelta(seconds=app.config["REAPER_STALL_SECONDS"] + 1), tick=True)
    assert reaper.reap()["requeue_stalled_parts"] == len(run.parts)
    db.session.expire_all()
    assert all(p.done for p in db.session.scalars(sa.select(AllowanceRunPart).where(AllowanceRunPart.run_id == run.id)))
