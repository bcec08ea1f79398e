"""Celery for production (issue #13): separate queues so a 100k compute never delays a reminder,
late acks only for the tasks that are safe to run twice, time limits, and one beat's worth of
periodic tasks even when two beats run."""

from datetime import UTC, datetime, timedelta

import pytest
from celery.beat import ScheduleEntry, Scheduler
from celery.schedules import crontab, schedule

import config
from app.core.celery import QUEUES, BeatTick, GuardedScheduler, claim_tick, queue_name, routing, tick_of
from app.extensions import db
from tests import services

ROUTED = {
    "allowance.compute_part": "compute",
    "core.apply_import": "imports",
    "reminders.send_pending": "mail",
    "reminders.scan_due": "default",
    "allowance.compute_previous_month": "default",
    "core.backup_database": "default",
    "core.purge_old_uploads": "default",
    "core.reap": "default",
}


def test_each_task_goes_to_its_queue_and_a_worker_without_q_consumes_them_all(app):
    celery = app.extensions["celery"]
    base = celery.conf.task_default_queue
    for task, queue in ROUTED.items():
        assert celery.amqp.router.route({}, task)["queue"].name == queue_name(base, queue), task
    assert set(celery.amqp.queues) == {base, f"{base}.compute", f"{base}.imports", f"{base}.mail"}


def test_a_compute_task_sent_on_redis_lands_in_the_compute_queue():
    if not services.redis_available():
        services.missing("Redis")
    import redis
    from celery import Celery

    sender = Celery(broker=services.REDIS_URL, set_as_current=False)
    sender.conf.update(task_default_queue=services.QUEUE, **routing(services.QUEUE, config.Config.CELERY_QUEUE_OF))
    names = {q: queue_name(services.QUEUE, q) for q in QUEUES}
    r = redis.Redis.from_url(services.REDIS_URL)
    r.delete(*names.values())
    try:
        sender.send_task("allowance.compute_part", args=[0, None])
        sender.send_task("reminders.send_pending")
        assert {q: r.llen(name) for q, name in names.items()} == {"default": 0, "compute": 1, "imports": 0, "mail": 1}
    finally:
        r.delete(*names.values())
        sender.close()


def test_only_the_tasks_safe_to_run_twice_ack_late_and_every_task_has_time_limits(app):
    celery = app.extensions["celery"]
    idempotent = {"allowance.compute_part", "core.apply_import", "reminders.send_pending"}
    for name in ROUTED:
        task = celery.tasks[name]
        assert bool(task.acks_late) == (name in idempotent), name
        assert bool(task.reject_on_worker_lost) == (name in idempotent), name
        assert 0 < task.soft_time_limit < task.time_limit, name
    assert celery.conf.worker_prefetch_multiplier == 1


def test_two_beats_firing_the_same_tick_send_it_once(app_ctx):
    now = datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC)
    minute = tick_of(crontab(minute="*"), now)
    assert minute == tick_of(crontab(minute="*"), now + timedelta(seconds=50))
    assert claim_tick("reminders-send", minute)
    assert not claim_tick("reminders-send", minute)  # the second beat, a moment later
    assert claim_tick("reminders-send", minute + 60)  # the next minute
    assert not claim_tick("reminders-send", minute)  # an old tick never fires again
    every_two = schedule(timedelta(seconds=120))
    assert tick_of(every_two, now) == tick_of(every_two, now + timedelta(seconds=30))
    assert db.session.get(BeatTick, "reminders-send").tick == minute + 60


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(Scheduler, "apply_async", lambda self, entry, producer=None, **kw: calls.append(entry.name))
    return calls


def test_the_beat_scheduler_sends_an_entry_only_when_it_claimed_the_tick(app, app_ctx, tmp_path, sent):
    celery = app.extensions["celery"]
    beats = [GuardedScheduler(app=celery, schedule_filename=str(tmp_path / f"beat{i}"), lazy=True) for i in (1, 2)]
    entry = ScheduleEntry(name="guard-test", task="core.reap", schedule=schedule(timedelta(hours=1)), app=celery)
    for beat in beats:
        beat.apply_entry(entry)
    assert sent == ["guard-test"]
