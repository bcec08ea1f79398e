"""The system page lists each periodic task of beat's table (app/core/schedule.py, the table
beat itself reads): its schedule in words, when beat last sent it, its last run and outcome,
and when it is due next (issue #13)."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core.celery import BeatTick
from app.core.schedule import beat_schedule
from app.core.task_runs import TaskRun
from app.extensions import db
from tests.factories import login

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # 18:00 in Beijing


def _row(page: str, name: str) -> str:
    match = re.search(rf'<tr id="periodic-{name}">(.*?)</tr>', page, re.S)
    assert match, name
    return match.group(1)


def _sent(name: str, at: datetime) -> None:
    db.session.add(BeatTick(name=name, tick=int(at.timestamp())))


def test_the_admin_sees_every_periodic_task_with_its_last_outcome_and_next_run(app, client, world, clock):
    clock.move_to(NOW)
    _sent("backup-nightly", datetime(2026, 12, 1, 17, 30, tzinfo=UTC))  # 01:30 in Beijing, today
    _sent("reaper", datetime(2026, 12, 2, 9, 59, 30, tzinfo=UTC))
    db.session.add_all(
        [
            TaskRun(
                name="core.backup_database",
                started_at=datetime(2026, 12, 1, 17, 30, 1, tzinfo=UTC),
                finished_at=datetime(2026, 12, 1, 17, 30, 9, tzinfo=UTC),
                outcome="failure",
                error="CalledProcessError: pg_dump exited with 1",
            ),
            TaskRun(
                name="core.reap",
                started_at=datetime(2026, 12, 2, 9, 59, 30, tzinfo=UTC),
                finished_at=datetime(2026, 12, 2, 9, 59, 31, tzinfo=UTC),
                outcome="success",
            ),
        ]
    )
    db.session.commit()
    login(client, world.admin.username)
    response = client.get("/admin/system")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for name in beat_schedule(app.config["REAPER_EVERY_SECONDS"]):  # every entry of beat's table
        _row(page, name)

    backup = _row(page, "backup-nightly")
    assert "每天 01:30" in backup  # the schedule in words
    assert "2026-12-02 01:30:00" in backup  # last sent by beat, Beijing time
    assert "outcome-failure" in backup and "pg_dump exited with 1" in backup  # the last outcome and why
    assert "2026-12-03 01:30" in backup  # next due: tomorrow night
    assert "periodic-late" not in backup

    reaper = _row(page, "reaper")
    assert f"每 {app.config['REAPER_EVERY_SECONDS']} 秒" in reaper
    assert "outcome-success" in reaper and "2026-12-02 17:59:31" in reaper
    assert "2026-12-02 18:00" in reaper  # sent 30 s ago, due again 60 s after

    monthly = _row(page, "allowance-previous-month")
    assert "每月 1 日 02:00" in monthly and "从未" in monthly  # never sent (by any beat)
    assert "2027-01-01 02:00" in monthly  # the 1st of next month
    assert "每 5 分钟" in _row(page, "reminders-due") and "每分钟" in _row(page, "reminders-send")


def test_an_entry_beat_has_not_sent_on_time_is_shown_late(client, world, clock):
    clock.move_to(NOW)
    _sent("reaper", datetime(2026, 12, 2, 9, 40, tzinfo=UTC))  # 20 minutes ago, due every minute
    _sent("reminders-send", datetime(2026, 12, 2, 9, 59, tzinfo=UTC))
    db.session.commit()
    login(client, world.admin.username)
    page = client.get("/admin/system").get_data(as_text=True)
    assert "periodic-late" in _row(page, "reaper")
    assert "periodic-late" not in _row(page, "reminders-send")


@pytest.mark.parametrize("who", ("coord_city", "payroll_city", "worker_user"))
def test_no_one_but_the_admin_sees_the_periodic_tasks(who, client, world):
    login(client, getattr(world, who).username)
    response = client.get("/admin/system")
    assert response.status_code == 403
    assert 'id="periodic"' not in response.get_data(as_text=True)


def test_beat_reads_the_same_table_as_the_page():
    from config import Config
    from worker.schedule import BEAT_SCHEDULE  # the table as beat's entry point gives it

    assert beat_schedule(Config.REAPER_EVERY_SECONDS) == BEAT_SCHEDULE
    entry_point = (Path(__file__).resolve().parents[2] / "worker" / "celery_app.py").read_text()
    assert "beat_schedule = beat_schedule(" in entry_point  # not a table of its own
