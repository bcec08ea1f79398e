"""`flask backup` (issue #13, Backups): the restore drill on PostgreSQL (pg_dump custom format)
and on SQLite (its backup API), retention, and a clear refusal for every bad request."""

import os
import random
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app, demo
from app.allowance.exporter import export_run
from app.allowance.models import AllowanceLine, AllowanceRun, RunState
from app.core import backup
from app.core.access import Role
from app.extensions import db
from tests import factories as f
from tests import services
from tests.allowance.test_runs import close, qualify, run_month
from tests.conftest import dialect

LOCKED, DRAFT = "2026-04", "2026-05"


def _database(kind: str, name: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / name}.sqlite"
    url = services.postgres_database(f"{name}_{os.getpid()}")
    if url is None:
        services.missing("PostgreSQL")
    return url


def _drop(url: str) -> None:
    if url.startswith("postgresql"):
        services.drop_postgres_database(sa.engine.make_url(url).database)


def _seed() -> None:
    """Places, workers and exams as the demo makes them, a locked month and a draft after it."""
    rng = random.Random(13)
    demo.seed_places(rng)
    demo.seed_workers(rng, 40)
    demo.seed_exams(rng)

    class People:
        payroll1 = f.user(Role.payroll, "drill_pay1", city_wide=True)
        payroll2 = f.user(Role.payroll, "drill_pay2", city_wide=True)

    qualify(f.worker(f.community("500103"), name="演练", number=f.id_number()))
    close(run_month(LOCKED), People)
    run_month(DRAFT)
    db.session.commit()


def _row_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            return {t: connection.scalar(sa.select(sa.func.count()).select_from(sa.table(t))) for t in tables}
    finally:
        engine.dispose()


def _locked_export(flask_app) -> tuple[str, int]:
    """The SHA-256 of the locked month's XLSX and its line count (the export's audit row is not kept)."""
    with flask_app.app_context():
        run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.state == RunState.locked))
        lines = sa.select(AllowanceLine).where(AllowanceLine.run_id == run.id)
        _content, digest = export_run(lines, run, "xlsx", made_by="演练")
        count = db.session.scalar(sa.select(sa.func.count()).select_from(lines.subquery()))
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    return digest, count


@pytest.fixture(params=["postgresql", "sqlite"])
def drill(request, tmp_path):
    kind = request.param
    source = _database(kind, "socialwork_drill_source", tmp_path)
    target = _database(kind, "socialwork_restore", tmp_path)
    backups = tmp_path / "backups"
    flask_app = create_app("testing", SQLALCHEMY_DATABASE_URI=source, BACKUP_DIR=str(backups))
    with flask_app.app_context():
        upgrade()
        _seed()
        db.session.remove()
    yield flask_app, source, target, backups
    with flask_app.app_context():
        db.engine.dispose()
    _drop(source)
    _drop(target)


@pytest.mark.no_db_transaction
def test_restore_drill_same_rows_in_every_table_and_the_same_locked_month_export(drill, clock):
    flask_app, source, target, backups = drill
    runner = flask_app.test_cli_runner()

    made = runner.invoke(args=["backup", "create"])
    assert made.exit_code == 0, made.output
    (only,) = backup.list_backups(backups)
    assert str(only.path) in made.output and only.size > 0
    assert not list(backups.glob("*.partial"))

    restored = runner.invoke(args=["backup", "restore", only.path.name, "--into", target])
    assert restored.exit_code == 0, restored.output

    counts = _row_counts(source)
    assert counts == _row_counts(target)
    assert counts["allowance_line"] > 0 and counts["worker"] > 40 and counts["allowance_run"] == 2
    assert counts["alembic_version"] == 1

    clock.move_to(datetime(2026, 5, 8, 10, 30))  # the file says when it was made
    restored_app = create_app("testing", SQLALCHEMY_DATABASE_URI=target)
    assert _locked_export(restored_app) == _locked_export(flask_app)

    again = runner.invoke(args=["backup", "restore", only.path.name, "--into", target])
    assert again.exit_code == 1 and "already has tables" in again.output


@pytest.mark.no_db_transaction
def test_force_live_puts_the_live_database_back_as_it_was_backed_up(drill):
    flask_app, source, _target, backups = drill
    runner = flask_app.test_cli_runner()
    assert runner.invoke(args=["backup", "create"]).exit_code == 0
    (only,) = backup.list_backups(backups)
    counts = _row_counts(source)
    assert counts["audit_log"] > 0
    with flask_app.app_context():
        db.session.execute(sa.text("DELETE FROM audit_log"))
        db.session.commit()
        db.session.remove()
    assert _row_counts(source)["audit_log"] == 0

    refused = runner.invoke(args=["backup", "restore", only.path.name, "--into", source])
    assert refused.exit_code == 1 and "--force-live" in refused.output
    forced = runner.invoke(args=["backup", "restore", only.path.name, "--into", source, "--force-live"])
    assert forced.exit_code == 0, forced.output
    assert _row_counts(source) == counts


# ---- refusals: exit 1 and the reason ----


@pytest.fixture
def runner(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path / "backups"))
    return app.test_cli_runner()


def _fake_backup(folder: Path, kind: str, at: datetime, content: bytes = b"not a backup") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / backup.backup_name(kind, at)
    path.write_bytes(content)
    return path


def test_restoring_over_the_live_database_is_refused_without_force_live(app, runner, tmp_path):
    kind = dialect(app)
    path = _fake_backup(tmp_path / "backups", kind, datetime(2026, 1, 1, tzinfo=UTC))
    result = runner.invoke(args=["backup", "restore", path.name, "--into", app.config["SQLALCHEMY_DATABASE_URI"]])
    assert result.exit_code == 1
    assert "live database" in result.output and "--force-live" in result.output


def test_an_unknown_backup_is_refused(runner):
    result = runner.invoke(args=["backup", "restore", "socialwork-20260101T000000Z.dump", "--into", "sqlite:///x"])
    assert result.exit_code == 1 and "no backup" in result.output


def test_a_file_that_is_not_a_backup_of_the_site_is_refused(runner, tmp_path):
    other = tmp_path / "dump.sql"
    other.write_text("SELECT 1;")
    result = runner.invoke(args=["backup", "restore", str(other), "--into", f"sqlite:///{tmp_path}/new.sqlite"])
    assert result.exit_code == 1 and "not a backup of this site" in result.output


def test_a_backup_of_one_engine_is_not_restored_into_the_other(runner, tmp_path):
    path = _fake_backup(tmp_path / "backups", "postgresql", datetime(2026, 1, 1, tzinfo=UTC))
    result = runner.invoke(args=["backup", "restore", path.name, "--into", f"sqlite:///{tmp_path}/new.sqlite"])
    assert result.exit_code == 1 and "postgresql backup" in result.output


def test_a_damaged_sqlite_backup_is_refused_and_nothing_is_written(runner, tmp_path):
    path = _fake_backup(tmp_path / "backups", "sqlite", datetime(2026, 1, 1, tzinfo=UTC))
    target = tmp_path / "new.sqlite"
    result = runner.invoke(args=["backup", "restore", path.name, "--into", f"sqlite:///{target}"])
    assert result.exit_code == 1 and "not a readable SQLite database" in result.output
    assert not target.exists()


def test_a_damaged_postgresql_backup_is_refused(app, runner, tmp_path):
    if dialect(app) != "postgresql":
        pytest.skip("PostgreSQL's tools")
    path = _fake_backup(tmp_path / "backups", "postgresql", datetime(2026, 1, 1, tzinfo=UTC))
    target = _database("postgresql", "socialwork_restore_damaged", tmp_path)
    try:
        result = runner.invoke(args=["backup", "restore", path.name, "--into", target])
    finally:
        _drop(target)
    assert result.exit_code == 1 and "is it a pg_dump archive" in result.output


def test_a_target_database_that_does_not_exist_is_named(app, runner, tmp_path):
    if dialect(app) != "postgresql":
        pytest.skip("a PostgreSQL database that is not there")
    path = _fake_backup(tmp_path / "backups", "postgresql", datetime(2026, 1, 1, tzinfo=UTC))
    missing = services.PG_ADMIN_URL.rsplit("/", 1)[0] + "/socialwork_no_such_database"
    result = runner.invoke(args=["backup", "restore", path.name, "--into", missing])
    assert result.exit_code == 1 and "cannot open the database socialwork_no_such_database" in result.output


def test_an_in_memory_database_has_nothing_to_back_up(tmp_path):
    with pytest.raises(backup.BackupError, match="in memory"):
        backup.create("sqlite://", tmp_path, keep=3)


def test_pg_dump_missing_or_older_than_the_server_is_named(app, runner, tmp_path, monkeypatch):
    if dialect(app) != "postgresql":
        pytest.skip("PostgreSQL's tools")
    monkeypatch.setitem(app.config, "BACKUP_PG_BIN", str(tmp_path / "nowhere"))
    result = runner.invoke(args=["backup", "create"])
    assert result.exit_code == 1 and "pg_dump not found" in result.output

    old = tmp_path / "old-bin"
    old.mkdir()
    fake = old / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setitem(app.config, "BACKUP_PG_BIN", str(old))
    result = runner.invoke(args=["backup", "create"])
    assert result.exit_code == 1 and "is PostgreSQL 9, the server is 15" in result.output
    assert not list((tmp_path / "backups").glob("socialwork-*"))


# ---- retention, the list, the nightly task ----


def test_only_the_newest_backups_are_kept_and_other_files_are_left_alone(tmp_path):
    start = datetime(2026, 11, 1, 1, 30, tzinfo=UTC)
    for day in range(16):
        _fake_backup(tmp_path, "sqlite", start + timedelta(days=day))
    (tmp_path / "notes.txt").write_text("mine")
    removed = backup.prune(tmp_path, keep=14)
    assert sorted(p.name for p in removed) == [
        "socialwork-20261101T013000Z.sqlite",
        "socialwork-20261102T013000Z.sqlite",
    ]
    kept = backup.list_backups(tmp_path)
    assert len(kept) == 14 and kept[0].taken_at == start + timedelta(days=15)
    assert (tmp_path / "notes.txt").exists()
    with pytest.raises(backup.BackupError, match="at least 1"):
        backup.prune(tmp_path, keep=0)


def test_backup_create_keeps_backup_keep_and_list_shows_newest_first(app, runner, tmp_path, monkeypatch):
    folder = tmp_path / "backups"
    for day in (1, 2, 3):
        _fake_backup(folder, dialect(app), datetime(2026, 1, day, tzinfo=UTC))
    monkeypatch.setitem(app.config, "BACKUP_KEEP", 2)
    made = runner.invoke(args=["backup", "create"])
    assert made.exit_code == 0, made.output
    assert made.output.count("removed socialwork-2026010") == 2
    listed = runner.invoke(args=["backup", "list"])
    names = [line.split("\t")[0] for line in listed.output.splitlines()]
    assert (
        len(names) == 2
        and names[1] == f"socialwork-20260103T000000Z.{'dump' if dialect(app) == 'postgresql' else 'sqlite'}"
    )
    assert names[0] > names[1]


def test_the_nightly_backup_is_a_beat_entry_and_a_task_that_makes_one(app, tmp_path, monkeypatch):
    from worker.schedule import BEAT_SCHEDULE  # the beat's table, as beat reads it

    assert any(entry["task"] == "core.backup_database" for entry in BEAT_SCHEDULE.values())
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path / "nightly"))
    name = app.extensions["celery"].tasks["core.backup_database"].delay().get()
    assert [b.path.name for b in backup.list_backups(tmp_path / "nightly")] == [name]
