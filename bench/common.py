"""What the allowance, training and reminders scenarios share: the seeded database, the app in
this process, real Celery worker processes on Redis, and small SQL helpers."""

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import redis
import sqlalchemy as sa
from argon2 import PasswordHasher

from app import create_app
from bench.scenario import FLASK, PROJECT, Options, _existing_workers, child_env, prepare_database, seed
from bench.timing import BenchError, Result, checked, run_child

BENCH_REDIS_URL = "redis://127.0.0.1:6379/14"
BENCH_QUEUE = "bench"  # the workers' CELERY_QUEUE: nothing else on that Redis takes the bench's tasks


def ensure_demo_database(url: str, workers: int, workdir: Path, notes: list[str]) -> tuple[dict, list[Result]]:
    """The database as `flask seed-demo --workers N` leaves it: reused when it holds exactly N
    workers (migrations applied again, a no-op), else dropped and seeded through the real CLI.
    Returns the children's environment and the seed's results (none when reused)."""
    env = child_env(url, workdir)
    held = _existing_workers(url)
    if held == workers:
        checked(run_child([FLASK, "db", "upgrade"], env, str(PROJECT)), "flask db upgrade")
        notes.append(f"reused the database: it holds {workers:,} workers")
        return env, []
    prepare_database(url, reuse=False)
    engine = sa.create_engine(url)
    try:
        results = seed(Options(url=url, workers=workers), env, engine)
    finally:
        engine.dispose()
    notes.append(
        f"the database held {held:,} workers, not {workers:,}: dropped and seeded (db upgrade, seed-demo)"
        if held
        else f"the database held no workers: seeded {workers:,} (db upgrade, seed-demo)"
    )
    return env, results


def make_app(url: str, **overrides):
    """The app in this process (development config), against the bench database."""
    return create_app("development", SQLALCHEMY_DATABASE_URI=url, **overrides)


def scalar(conn, sql: str, **params):
    return conn.execute(sa.text(sql), params).scalar()


def vacuum_analyze(url: str, tables: tuple[str, ...] = ()) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if tables:
                for table in tables:
                    conn.execute(sa.text(f'VACUUM ANALYZE "{table}"'))
            else:
                conn.execute(sa.text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


# ---- Celery: real worker processes on Redis ----


def redis_client(url: str = BENCH_REDIS_URL):
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        raise BenchError(f"Redis is not reachable at {url}: {exc}") from None
    return client


def purge_queue(url: str = BENCH_REDIS_URL) -> None:
    """Drop whatever an earlier run left in this Redis database (queue, unacked messages)."""
    redis_client(url).flushdb()


def start_workers(env: dict, count: int, tag: str, logdir: Path) -> list[subprocess.Popen]:
    """`celery -A worker.celery_app worker --pool=solo` × count, each its own process."""
    procs = []
    for n in range(1, count + 1):
        log = (logdir / f"celery-{tag}-{n}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "worker.celery_app",
                    "worker",
                    "--pool=solo",
                    "--loglevel=INFO",
                    "--without-heartbeat",
                    "--without-mingle",
                    "--without-gossip",
                    "-n",
                    f"bench-{tag}-{n}-{os.getpid()}@%h",
                ],
                cwd=str(PROJECT),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        log.close()
    return procs


def wait_ready(procs: list[subprocess.Popen], tag: str, logdir: Path, timeout: float = 60) -> None:
    """Until every worker logs that it is ready ("celery@... ready." at INFO level)."""
    deadline = time.monotonic() + timeout
    pending = set(range(1, len(procs) + 1))
    while pending and time.monotonic() < deadline:
        for n in list(pending):
            if procs[n - 1].poll() is not None:
                raise BenchError(f"celery worker {tag}-{n} exited: {_tail(logdir / f'celery-{tag}-{n}.log')}")
            if b"ready." in (logdir / f"celery-{tag}-{n}.log").read_bytes():
                pending.discard(n)
        time.sleep(0.1)
    if pending:
        raise BenchError(f"celery workers {sorted(pending)} of {tag} were not ready after {timeout:.0f} s")


def stop_workers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


TASK_DONE = re.compile(r"Task ([\w.]+)\[[^\]]+\] succeeded in ([\d.]+)s: (.*)$")


def _log_messages(text: str) -> Iterator[str]:
    """The message of each line of a worker's log: the app logs one JSON object a line (its
    "message"); a line that is not one (Celery's own banner, a plain formatter) is taken as it is."""
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            yield line
            continue
        yield str(record.get("message", "")) if isinstance(record, dict) else line


def finished_tasks(tag: str, count: int, logdir: Path) -> list[dict]:
    """What each worker process logged as done: task, seconds, return value (INFO level)."""
    out = []
    for n in range(1, count + 1):
        path = logdir / f"celery-{tag}-{n}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        for message in _log_messages(text):
            if found := TASK_DONE.search(message):
                task, seconds, value = found.groups()
                out.append({"worker": n, "task": task, "seconds": float(seconds), "returned": value.strip()})
    return out


def worker_env(env: dict, **extra: str) -> dict:
    return {**env, "REDIS_URL": BENCH_REDIS_URL, "CELERY_QUEUE": BENCH_QUEUE, "APP_CONFIG": "development", **extra}


def bench_celery_config() -> dict:
    """The app's Celery settings, pointed at the bench Redis and queue (for create_app overrides)."""
    # imported only now: config.py reads INSTANCE_PATH when first imported, which child_env() sets
    from config import Config

    return {
        **Config.CELERY,
        "broker_url": BENCH_REDIS_URL,
        "result_backend": BENCH_REDIS_URL,
        "task_default_queue": BENCH_QUEUE,
    }


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def explain(conn, statement: str, parameters) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement as the driver received it."""
    rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
    return "\n".join(r[0] for r in rows)


# ---- worker accounts: the recipients of notices ----


def ensure_worker_accounts(conn, password: str) -> tuple[int, int]:
    """A worker account for every worker who has none, set-based: one argon2id hash of the demo
    password (the library's defaults, as in development) for all, username bench_w<worker id>,
    email user<worker id>@example.org. Bypasses the ORM (no audit entries), as an import would.
    Returns (created, worker accounts now)."""
    digest = PasswordHasher().hash(password)
    created = conn.execute(
        sa.text(
            'INSERT INTO "user" (username, password_hash, role, display_name, email, worker_id, active,'
            " city_wide, locale, must_change_password, created_at, updated_at)"
            " SELECT 'bench_w' || w.id, :hash, 'worker', w.name, 'user' || w.id || '@example.org', w.id, true,"
            " false, 'zh_CN', false, now(), now()"
            ' FROM worker w WHERE NOT EXISTS (SELECT 1 FROM "user" u WHERE u.worker_id = w.id)'
            " ON CONFLICT DO NOTHING"
        ),
        {"hash": digest},
    ).rowcount
    total = conn.execute(
        sa.text("SELECT count(*) FROM \"user\" WHERE role = 'worker' AND worker_id IS NOT NULL")
    ).scalar()
    return created, total
