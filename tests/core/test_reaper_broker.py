"""The reaper looks in Redis (issue #13): work queued but whose message Redis no longer holds is
sent again at the next tick, not after REAPER_STALL_SECONDS; work whose message is still there
is not sent twice; a message delivered to a worker waits for the age rule.

Real Redis, no worker: the compute's messages stay in this run's compute queue, where the test
reads them. The fault is Redis restarted without its data: the queue's key deleted.
"""

import json
import os
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import services

pytestmark = pytest.mark.no_db_transaction

# A queue of this module's own: kombu's `unacked` hash is one for all queues, and a worker that
# an earlier test of this process killed mid-part (on the suite's queue, run 1 of its own
# database) leaves there a message with the same routing key and task id as one of ours.
QUEUE = f"{services.QUEUE}-reaper"


@pytest.fixture(scope="module")
def broker_app(tmp_path_factory):
    """An app sending to Redis on this run's queues (the testing config runs tasks eagerly)."""
    if not services.redis_available():
        services.missing("Redis")
    from flask_migrate import upgrade

    import config
    from app import create_app
    from app.extensions import db
    from tests import factories as f

    tmp = tmp_path_factory.mktemp("reaper-broker")
    url = services.postgres_database(f"socialwork_reaper_{os.getpid()}") or f"sqlite:///{tmp}/r.sqlite"
    celery = {**config.Config.CELERY, "task_default_queue": QUEUE, "broker_url": services.REDIS_URL}
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(tmp / "uploads"), CELERY=celery)
    with app.app_context():
        upgrade()
        for code in ("500103", "500104", "500105"):
            f.worker(f.community(code), number=f.id_number(code))
        db.session.commit()
        db.session.remove()
    yield app
    _purge()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].close()
    if url.startswith("postgresql"):
        services.drop_postgres_database(sa.engine.make_url(url).database)


def _redis():
    import redis

    return redis.Redis.from_url(services.REDIS_URL)


def _compute_queue() -> str:
    from app.core.celery import queue_name

    return queue_name(QUEUE, "compute")


def _purge():
    from app.core.celery import QUEUES, queue_name

    _redis().delete(*[queue_name(QUEUE, q) for q in QUEUES])


def _queued_ids() -> list[str]:
    return sorted(json.loads(m)["headers"]["id"] for m in _redis().lrange(_compute_queue(), 0, -1))


@pytest.fixture
def computing(broker_app):
    """Compute pressed for a month: its parts recorded and their messages in the compute queue,
    no worker running. Yields (run id, the parts' message ids); the run is deleted afterwards."""
    from app.allowance import services as allowance
    from app.allowance.models import AllowanceRun
    from app.allowance.rules import Month
    from app.allowance.tasks import part_task_id, queue_compute
    from app.extensions import db

    _purge()
    with broker_app.app_context():
        run, districts = allowance.start_compute(Month.of(2026, 9), None)
        db.session.commit()
        assert queue_compute(run.id, districts)
        run_id, ids = run.id, sorted(part_task_id(run.id, d) for d in districts)
        db.session.remove()
    assert len(ids) >= 3 and _queued_ids() == ids  # one message per part, named after it
    yield run_id, ids
    _purge()
    with broker_app.app_context():
        db.session.delete(db.session.get(AllowanceRun, run_id))
        db.session.commit()
        db.session.remove()


def _reap(app) -> int:
    from app.core import reaper
    from app.extensions import db

    with app.app_context():
        count = reaper.reap()["requeue_stalled_parts"]
        db.session.remove()
    return count


def _queued_at(app, run_id):
    from app.allowance.models import AllowanceRunPart
    from app.extensions import db

    with app.app_context():
        times = db.session.scalars(sa.select(AllowanceRunPart.queued_at).where(AllowanceRunPart.run_id == run_id))
        result = sorted(times)
        db.session.remove()
    return result


def _later(clock, seconds: int):
    from app.core.timeutil import utcnow

    clock.move_to(utcnow() + timedelta(seconds=seconds), tick=True)


def test_parts_lost_with_redis_s_queue_are_sent_again_at_the_next_tick(broker_app, computing, clock):
    run_id, ids = computing
    stall = broker_app.config["REAPER_STALL_SECONDS"]
    _redis().delete(_compute_queue())  # Redis restarted and lost its queue
    before = _queued_at(broker_app, run_id)
    _later(clock, 15)  # the next tick: well within REAPER_STALL_SECONDS
    assert stall > 15
    assert _reap(broker_app) == len(ids)
    assert _queued_ids() == ids  # each part's message is back in the queue, once
    assert all(a > b for a, b in zip(_queued_at(broker_app, run_id), before, strict=True))
    _later(clock, 15)
    assert _reap(broker_app) == 0  # now in the queue again: not sent a second time
    assert _queued_ids() == ids


def test_parts_whose_messages_wait_in_the_queue_are_never_sent_twice(broker_app, computing, clock):
    run_id, ids = computing
    before = _queued_at(broker_app, run_id)
    _later(clock, broker_app.config["REAPER_STALL_SECONDS"] + 600)  # a long queue: older than the age rule
    assert _reap(broker_app) == 0
    assert _queued_ids() == ids and _queued_at(broker_app, run_id) == before


def test_only_the_part_whose_message_was_lost_is_sent_again(broker_app, computing, clock):
    run_id, ids = computing
    r = _redis()
    lost = next(m for m in r.lrange(_compute_queue(), 0, -1) if json.loads(m)["headers"]["id"] == ids[0])
    r.lrem(_compute_queue(), 1, lost)
    _later(clock, 15)
    assert _reap(broker_app) == 1
    assert _queued_ids() == ids


def test_a_message_still_on_its_way_is_given_a_moment(broker_app, computing, clock):
    _run_id, ids = computing
    _redis().delete(_compute_queue())
    _later(clock, 2)  # committed as queued, its message maybe not sent yet
    assert _reap(broker_app) == 0 and _queued_ids() == []


def test_a_message_delivered_to_a_worker_that_never_took_it_waits_for_the_age_rule(broker_app, computing, clock):
    """A worker took the message from the queue (it is in `unacked`) but never recorded the part
    as taken: it may be about to, or it died first. As before, REAPER_STALL_SECONDS decide."""
    run_id, ids = computing
    r = _redis()
    message = r.rpop(_compute_queue())  # as a worker's BRPOP does; then kombu records the delivery
    tag = f"test-{os.getpid()}"
    r.hset("unacked", tag, json.dumps([json.loads(message), "", _compute_queue()]))
    try:
        _later(clock, 15)
        assert _reap(broker_app) == 0
        _later(clock, broker_app.config["REAPER_STALL_SECONDS"])
        assert _reap(broker_app) == 1  # its worker is gone: sent again
    finally:
        r.hdel("unacked", tag)
    assert len(_queued_ids()) == len(ids)


def test_a_message_of_another_queue_with_the_same_id_does_not_hide_a_lost_part(broker_app, computing, clock):
    """`unacked` is one hash for all queues: another deployment (or test run) on the same Redis
    may have a part with the same task id delivered to its worker. Ours is still lost."""
    _run_id, ids = computing
    r = _redis()
    message = json.loads(r.lrange(_compute_queue(), 0, 0)[0])
    r.delete(_compute_queue())
    tag = f"test-other-{os.getpid()}"
    r.hset("unacked", tag, json.dumps([message, "", f"{_compute_queue()}-elsewhere"]))
    try:
        _later(clock, 15)
        assert _reap(broker_app) == len(ids)
    finally:
        r.hdel("unacked", tag)
    assert _queued_ids() == ids
