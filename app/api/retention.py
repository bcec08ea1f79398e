"""How long the record of API calls (api_call) is kept: API_CALL_KEEP_DAYS, default 400, so a
whole year's calls are always there for an audit. Older rows are deleted by the reaper's tick
(app/core/reaper.py, every REAPER_EVERY_SECONDS; registered from app/factory.py).

Each tick costs one look at the oldest row when nothing is due (rows are numbered as they are
written, so the oldest id is the oldest call); when something is, it deletes at most CHUNK of the
oldest rows, so a first purge of years of calls is spread over ticks and never holds long locks.
"""

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.api.models import ApiCall
from app.core.timeutil import utcnow
from app.extensions import db

log = logging.getLogger(__name__)

DEFAULT_KEEP_DAYS = 400
CHUNK = 5000


def purge_old_calls() -> int:
    """Delete calls older than API_CALL_KEEP_DAYS (up to CHUNK a tick; the reaper commits). Returns 0:
    the reaper counts work it queued again, and this queues none; what was deleted is logged."""
    days = current_app.config.get("API_CALL_KEEP_DAYS", DEFAULT_KEEP_DAYS)
    cutoff = utcnow() - timedelta(days=days)
    oldest = db.session.scalar(sa.select(ApiCall.at).order_by(ApiCall.id).limit(1))
    if oldest is None or oldest >= cutoff:
        return 0
    first_ids = sa.select(ApiCall.id).order_by(ApiCall.id).limit(CHUNK).scalar_subquery()
    deleted = db.session.execute(
        sa.delete(ApiCall).where(ApiCall.id.in_(first_ids), ApiCall.at < cutoff),
        execution_options={"synchronize_session": False},
    ).rowcount
    log.info("api_call: deleted %d calls older than %d days", deleted, days)
    return 0
