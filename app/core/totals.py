"""The totals of long lists ("100,000 workers"), counted once a minute rather than on every page.

Counting a city's 100,000 workers is a full scan of the table on every page of the list: most of
the database's work for that page. A total of at least LIST_TOTAL_CACHE_FROM rows is kept by each
web process for LIST_TOTAL_CACHE_SECONDS, under a key that holds everything the rows depend on
(the user's scope, the filters, the day). A smaller total is counted every time (it is cheap, and
a person who adds a worker to a short list expects to see it counted at once). A change that this
process writes to a watched model (the registry's) forgets every kept total at once; a change
written by another process (another web host, an import on a Celery worker) shows within the
minute.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

MAX_KEPT = 512  # distinct (scope, filters) keys a process keeps; the oldest goes first

_lock = threading.Lock()
_kept: "OrderedDict[Hashable, tuple[float, int]]" = OrderedDict()
_watched: set[type] = set()


def count_rows(query: sa.Select) -> int:
    """The number of rows of a select, counted now."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))


def total_of(query: sa.Select, key: Hashable) -> int:
    """The number of rows of `query`, kept a while when it is large. `key` must hold everything
    the rows depend on besides the data (scope, filters, the day), as the total is shared by
    every user whose key is the same."""
    seconds = current_app.config["LIST_TOTAL_CACHE_SECONDS"]
    now = time.monotonic()
    with _lock:
        kept = _kept.get(key)
    if kept is not None and kept[0] > now:
        return kept[1]
    total = count_rows(query)
    if seconds > 0 and total >= current_app.config["LIST_TOTAL_CACHE_FROM"]:
        with _lock:
            _kept[key] = (now + seconds, total)
            _kept.move_to_end(key)
            while len(_kept) > MAX_KEPT:
                _kept.popitem(last=False)
    return total


def forget_totals() -> None:
    with _lock:
        _kept.clear()


def watch(*models: type) -> None:
    """A flush that adds, changes or deletes one of these forgets every kept total."""
    _watched.update(models)


@event.listens_for(Session, "after_flush")
def _forget_on_change(session, _context) -> None:
    if not _kept or not _watched:
        return
    watched = tuple(_watched)
    if any(isinstance(obj, watched) for obj in (*session.new, *session.dirty, *session.deleted)):
        forget_totals()
