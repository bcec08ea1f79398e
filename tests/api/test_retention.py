"""The record of API calls is kept API_CALL_KEEP_DAYS (400 by default: a year's audit and more);
the reaper's tick deletes older calls and keeps the rest."""

from datetime import date, datetime

import sqlalchemy as sa

from app.api.models import ApiCall
from app.core import reaper
from tests.api.helpers import bearer, client_token


def _days_called(db) -> list[date]:
    return [at.date() for at in db.session.scalars(sa.select(ApiCall.at).order_by(ApiCall.id))]


def test_the_reaper_deletes_calls_older_than_the_days_kept(app, client, db, world, clock, monkeypatch):
    clock.move_to(datetime(2025, 1, 10, 10, 0))
    _c, token = client_token(expires_on=date(2026, 12, 31))
    client.get("/api/runs", headers=bearer(token))
    clock.move_to(datetime(2025, 3, 1, 10, 0))
    client.get("/api/runs", headers=bearer(token))
    client.get("/api/runs", headers=bearer("swapi_unknown"))  # a refused call is recorded, and purged alike
    clock.move_to(datetime(2026, 2, 20, 10, 0))  # 406 days after the first call, 356 after the others
    with app.app_context():
        counts = reaper.reap()
    assert counts["purge_old_calls"] == 0  # the reaper counts work queued again: none
    assert _days_called(db) == [date(2025, 3, 1)] * 2

    monkeypatch.setitem(app.config, "API_CALL_KEEP_DAYS", 30)
    with app.app_context():
        reaper.reap()
    assert _days_called(db) == []
