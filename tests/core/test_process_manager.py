"""The process manager restarts a Celery process that exits (issue #13).

The fault, as measured: after Redis died during an import the Celery main process exited, and
no job ran until someone restarted it. Here supervisord runs the worker program of
deploy/supervisord.conf (the same definition, rendered with this test's database, Redis and
queue names); the worker's main process is killed with SIGKILL; supervisord starts it again and
the job queued meanwhile is applied, without anyone pressing a button.

The systemd units of deploy/systemd/ are checked by `systemd-analyze verify` when it is
installed, and in any case their ExecStart lines are the Procfile's commands from the venv.
"""

import configparser
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import services

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/socialwork"  # where the shipped files expect the code and its venv
BOUND_SECONDS = 60


def render_supervisord(tmp: Path, env: dict[str, str], queue: str, programs: list[str]) -> Path:
    """deploy/supervisord.conf with this machine's paths, `env` as the environment file, the
    queues named after `queue` (CELERY_QUEUE), no user switch (the tests may not have the
    service's user), and only `programs`; the program definitions are otherwise unchanged."""
    (tmp / "log").mkdir(exist_ok=True)
    env_file = tmp / "env"
    env_file.write_text("".join(f"{key}='{value}'\n" for key, value in env.items()))
    text = (DEPLOY / "supervisord.conf").read_text()
    for shipped, here in (
        ("/etc/socialwork/env", str(env_file)),
        ("/var/log/socialwork", str(tmp / "log")),
        ("/run/socialwork", str(tmp)),
        ("/var/lib/socialwork", str(tmp)),
        (INSTALLED, str(ROOT)),
    ):
        text = text.replace(shipped, here)
    text = re.sub(r"-Q celery(?=[.\s'])", f"-Q {queue}", text)
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    for section in parser.sections():
        if section.startswith("group:") or (
            section.startswith("program:") and section.removeprefix("program:") not in programs
        ):
            parser.remove_section(section)
        elif parser.has_option(section, "user"):
            parser.remove_option(section, "user")
    path = tmp / "supervisord.conf"
    with path.open("w") as out:
        parser.write(out)
    return path


def _ctl(conf: Path, *args: str) -> str:
    return subprocess.run(
        [str(ROOT / ".venv/bin/supervisorctl"), "-c", str(conf), *args], capture_output=True, text=True, timeout=10
    ).stdout.strip()


def _pid(conf: Path, program: str) -> int:
    out = _ctl(conf, "pid", program)
    return int(out) if out.isdigit() else 0


def _wait(check, deadline: float, every: float = 0.2):
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out; last: {check()}")


@pytest.fixture
def database(tmp_path):
    url = services.postgres_database(f"socialwork_pm_{os.getpid()}") or f"sqlite:///{tmp_path}/pm.sqlite"
    yield url
    if url.startswith("postgresql"):
        services.drop_postgres_database(sa.engine.make_url(url).database)


def _import_app(url: str, instance: Path):
    """An app that sends to Redis, on this run's queues (not eagerly, unlike the testing config)."""
    from flask_migrate import upgrade

    import config
    from app import create_app

    celery = {**config.Config.CELERY, "task_default_queue": services.QUEUE, "broker_url": services.REDIS_URL}
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=str(instance / "uploads"), CELERY=celery)
    with app.app_context():
        upgrade()
    return app


def _confirmed_import(app, user_id: int | None = None) -> tuple[int, str, int]:
    """A posts import confirmed and queued, as the import page does: (job id, ID number, user id)."""
    from app.core import importing
    from app.core.access import Role
    from app.core.tasks import queue_import
    from app.extensions import db
    from tests import factories as f

    with app.app_context():
        community = f.community("500103")
        if user_id is None:
            user_id = f.user(Role.coordinator, "pm_coord", districts=["500103"]).id
        number = f.id_number()
        content = f"身份证号,姓名,社区代码,岗位,到岗日期\r\n{number},钱勇,{community.code},专职工作人员,2024-01-01\r\n"
        token = importing.stage_upload("posts", "posts.csv", content.encode(), user_id)
        job = importing.ImportJob(kind="posts", filename="posts.csv", user_id=user_id, token=token)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        assert queue_import(job_id)
        db.session.remove()
    return job_id, number, user_id


def _applied(app, job_id: int) -> bool:
    from app.core.importing import ImportJob, JobState
    from app.extensions import db

    with app.app_context():
        state = db.session.get(ImportJob, job_id).state
        db.session.remove()
    return state == JobState.done


def _reaper_tick(app, clock) -> None:
    from app.core import reaper
    from app.core.timeutil import utcnow
    from app.extensions import db

    clock.move_to(utcnow() + timedelta(seconds=15), tick=True)
    with app.app_context():
        reaper.reap()
        db.session.remove()


def _purge_queues() -> None:
    import redis

    from app.core.celery import QUEUES, queue_name

    redis.Redis.from_url(services.REDIS_URL).delete(*[queue_name(services.QUEUE, q) for q in QUEUES])


@pytest.mark.no_db_transaction
def test_supervisord_restarts_a_killed_celery_main_process_and_the_queued_job_is_done(tmp_path, database, clock):
    if not services.redis_available():
        services.missing("Redis")
    instance = tmp_path / "instance"
    app = _import_app(database, instance)
    _purge_queues()
    env = {
        "DATABASE_URL": database,
        "REDIS_URL": services.REDIS_URL,
        "CELERY_QUEUE": services.QUEUE,
        "INSTANCE_PATH": str(instance),
        "APP_CONFIG": "development",
    }
    conf = render_supervisord(tmp_path, env, services.QUEUE, ["worker-imports"])
    started = time.monotonic()
    deadline = started + BOUND_SECONDS - 5
    supervisord = subprocess.Popen(
        [str(ROOT / ".venv/bin/supervisord"), "-n", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed = 0
    try:
        first, _, user_id = _confirmed_import(app)
        _wait(lambda: _applied(app, first), deadline)  # the worker runs: it took the first job
        killed = _pid(conf, "worker-imports")
        assert killed, _ctl(conf, "status")
        os.kill(killed, signal.SIGKILL)  # the Celery main process is gone, as after the Redis fault
        second, number, _ = _confirmed_import(app, user_id)  # a job queued while no worker runs
        restarted = _wait(lambda: (pid := _pid(conf, "worker-imports")) not in (0, killed) and pid, deadline)
        # Redis may have handed the second job's message to the killed process's last BRPOP (its
        # close seen after the push, or its socket held open by an orphaned pool child): then the
        # message is gone, as in the fault this stands for. The reaper, which beat runs every
        # minute, sends such a job again; one tick, as beat would make it, past the reaper's grace.
        _reaper_tick(app, clock)
        _wait(lambda: _applied(app, second), deadline)
        log = (tmp_path / "log" / "supervisord.log").read_text()
    finally:
        supervisord.terminate()
        supervisord.wait(timeout=60)
        if killed:  # the killed worker's pool children, should any have outlived it
            with _suppress_missing():
                os.killpg(killed, signal.SIGKILL)
        _purge_queues()
        with app.app_context():
            from app.extensions import db

            db.session.remove()
            db.engine.dispose()
        app.extensions["celery"].close()
    assert restarted != killed
    assert re.search(r"exited: worker-imports \(terminated by SIGKILL", log), log
    assert time.monotonic() - started < BOUND_SECONDS
    with app.app_context():
        from app.extensions import db
        from app.workers.models import Worker

        assert db.session.scalar(sa.select(sa.func.count()).where(Worker.id_number == number)) == 1
        db.session.remove()
        db.engine.dispose()


class _suppress_missing:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        return kind is ProcessLookupError


# ---- systemd ----

UNITS = ("socialwork-web.service", "socialwork-worker@.service", "socialwork-beat.service")


def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)  # EnvironmentFile= appears twice in the worker's unit
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name)
    return parser


def _procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    entries = (line.split(":", 1) for line in lines if ":" in line and not line.startswith("#"))
    return {name: shlex.split(command) for name, command in entries}


def _without_options_that_vary(words: list[str]) -> list[str]:
    """The command's program and arguments, without the values a deployment chooses (the
    schedule file's path, the processes, the queue and the node's name)."""
    kept, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        if word in ("--schedule", "-Q", "-n"):
            skip = True
            continue
        if word.startswith("--concurrency="):
            continue
        kept.append(word)
    return kept


@pytest.mark.parametrize(("unit", "line"), [(UNITS[0], "web"), (UNITS[1], "worker"), (UNITS[2], "beat")])
def test_each_systemd_unit_runs_the_procfile_s_command_from_the_venv_and_restarts_always(unit, line):
    service = _unit(unit)["Service"]
    words = shlex.split(service["ExecStart"])
    assert words[0] == f"{INSTALLED}/.venv/bin/{_procfile()[line][0]}"
    assert _without_options_that_vary(words[1:]) == _without_options_that_vary(_procfile()[line][1:])
    assert service["Restart"] == "always"
    assert "EnvironmentFile=/etc/socialwork/env" in (DEPLOY / "systemd" / unit).read_text().splitlines()
    assert service["WorkingDirectory"] == INSTALLED
    assert _unit(unit)["Unit"]["StartLimitIntervalSec"] == "0"  # systemd never gives up restarting


def test_the_worker_unit_takes_its_queue_from_the_instance_name():
    words = shlex.split(_unit(UNITS[1])["Service"]["ExecStart"])
    assert words[words.index("-Q") + 1] == "%i"
    assert words[words.index("-n") + 1] == "%i@%%h"  # systemd passes %h on: Celery's node name on this host


def test_systemd_analyze_verifies_the_units(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (the ExecStart lines are checked above)")
    for name in UNITS:  # with this checkout as the installed code, so that the commands exist
        text = (DEPLOY / "systemd" / name).read_text().replace(INSTALLED, str(ROOT))
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", *[str(tmp_path / name) for name in UNITS]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_supervisord_conf_holds_every_program_restarted_when_it_exits(tmp_path):
    parser = configparser.RawConfigParser()
    parser.read(DEPLOY / "supervisord.conf")
    programs = {s.removeprefix("program:"): parser[s] for s in parser.sections() if s.startswith("program:")}
    assert set(programs) == {"web", "worker-compute", "worker-imports", "worker-mail", "worker-default", "beat"}
    assert all(p["autorestart"] == "true" for p in programs.values())
    queues = {shlex.split(p["command"])[-1].split("-Q ")[1].split()[0] for n, p in programs.items() if "worker" in n}
    assert queues == {"celery", "celery.compute", "celery.imports", "celery.mail"}
    rendered = render_supervisord(tmp_path, {"A": "1"}, "tests-x", list(programs))
    text = rendered.read_text()
    assert "-Q tests-x.compute" in text and "-Q tests-x " in text and INSTALLED not in text and "user" not in text
