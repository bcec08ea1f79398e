"""Wrong check-in codes are throttled, per worker and per meeting, in Flask-Limiter's storage.

Only failures count (as at login): a worker may make a few wrong tries, then waits. The meeting
count covers the meetings whose window is open for that worker, so that several accounts
enrolled in one meeting cannot share the guessing between them. With a 6-digit code, the
defaults allow about 30 guesses per meeting per quarter hour: far from the million codes.
"""

import logging
import math
import time

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from app.extensions import limiter

log = logging.getLogger(__name__)
# When the shared storage (Redis) cannot be reached, count in this process's memory instead,
# as the sign-in throttle does: check-in keeps working and guessing stays bounded.
_fallback = FixedWindowRateLimiter(MemoryStorage())

PER_WORKER = "5 per 15 minutes"
PER_MEETING = "30 per 15 minutes"


def _buckets(worker_id: int, meeting_ids: list[int]):
    config = current_app.config
    yield parse(config.get("CHECKIN_FAILURE_LIMIT_WORKER", PER_WORKER)), ("checkin-worker", str(worker_id))
    meeting_limit = parse(config.get("CHECKIN_FAILURE_LIMIT_MEETING", PER_MEETING))
    for meeting_id in meeting_ids:
        yield meeting_limit, ("checkin-meeting", str(meeting_id))


def minutes_to_wait(worker_id: int, meeting_ids: list[int]) -> int:
    """0 when the worker may try a code now; otherwise whole minutes until they may."""
    if not limiter.enabled:
        return 0
    wait = 0.0
    for item, keys in _buckets(worker_id, meeting_ids):
        if not _call("test", item, *keys):
            reset_at, _remaining = _call("get_window_stats", item, *keys)
            wait = max(wait, reset_at - time.time())
    return max(1, math.ceil(wait / 60)) if wait > 0 else 0


def count_wrong_code(worker_id: int, meeting_ids: list[int]) -> None:
    if limiter.enabled:
        for item, keys in _buckets(worker_id, meeting_ids):
            _call("hit", item, *keys)


def _call(method: str, *args):
    try:
        return getattr(limiter.limiter, method)(*args)
    except Exception:  # the storage is unreachable (Redis down): count in memory meanwhile
        log.warning("check-in throttle storage unreachable; counting in memory", exc_info=True)
        return getattr(_fallback, method)(*args)
