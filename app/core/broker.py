"""What the broker holds, for the reaper: which task ids wait in a queue and which were delivered
to a worker (kombu's Redis transport), so that work the database holds as queued but whose
message is in neither is sent again at once, not after REAPER_STALL_SECONDS.

Kombu's Redis transport keeps each queue as a list (one key per priority step) of JSON messages
whose `headers.id` is the task id; a message a worker has taken (reserved, prefetched or running,
until it is acknowledged) sits in the hash `unacked`, as `[message, exchange, routing_key]`. A
worker holds no message anywhere else, so the two together are every message of the queue: a
worker's reserved tasks need no broadcast to a worker (which may be gone).

Any other broker (the embedded sqla+sqlite transport) cannot be read here: `snapshot` answers
None and the reaper keeps to its age rule.
"""

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import redis
from flask import current_app

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2.0
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


@dataclass
class Snapshot:
    """Task ids waiting in a queue, and those delivered to a worker and not yet acknowledged."""

    waiting: set[str] = field(default_factory=set)
    delivered: set[str] = field(default_factory=set)

    def __or__(self, other: "Snapshot") -> "Snapshot":
        return Snapshot(self.waiting | other.waiting, self.delivered | other.delivered)


def queue_of(conf, task_name: str) -> str:
    """The queue a task is routed to (config.py, CELERY_QUEUE_OF), else the default queue."""
    routes = conf.task_routes if isinstance(conf.task_routes, Mapping) else {}
    route = routes.get(task_name) or {}
    return route.get("queue") or conf.task_default_queue or "celery"


def _task_id(raw: bytes | str, routing_key: str | None = None) -> str | None:
    """The task id of a queued message, or of an entry of `unacked` ([message, exchange, routing
    key]) delivered from the queue `routing_key`: `unacked` is one hash for every queue, and
    another queue (another deployment or test run on the same Redis) may use the same task ids."""
    try:
        message = json.loads(raw)
        if isinstance(message, list):
            message, _exchange, key = message[:3]
            if routing_key is not None and key != routing_key:
                return None
        return message["headers"]["id"]
    except (ValueError, KeyError, IndexError, TypeError):  # not a Celery message of protocol 2
        return None


def snapshot(task_name: str) -> Snapshot | None:
    """The ids of `task_name`'s queue and of every delivered message, read in one Redis
    transaction; None when the broker is not Redis or does not answer."""
    celery = current_app.extensions["celery"]
    conf = celery.conf
    url = conf.broker_url or ""
    if not url.startswith(REDIS_SCHEMES):
        return None
    options = conf.broker_transport_options or {}
    prefix = options.get("global_keyprefix", "")
    sep = options.get("sep", "\x06\x16")
    routing_key = queue_of(conf, task_name)  # celery.py: each queue's routing key is its name
    queue = prefix + routing_key
    keys = [queue] + [f"{queue}{sep}{step}" for step in options.get("priority_steps", (0, 3, 6, 9)) if step]
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        pipe = client.pipeline(transaction=True)  # MULTI/EXEC: the lists and the hash at one instant
        for key in keys:
            pipe.lrange(key, 0, -1)
        pipe.hvals(prefix + options.get("unacked_key", "unacked"))
        *lists, unacked = pipe.execute()
    except redis.RedisError:
        log.warning("reaper: the Redis broker cannot be read; the age rule decides", exc_info=True)
        return None
    finally:
        client.close()
    waiting = {_task_id(raw) for messages in lists for raw in messages}
    return Snapshot(waiting=waiting - {None}, delivered={_task_id(raw, routing_key) for raw in unacked} - {None})
