"""What runs on each host, started as production starts it (README, "Running on PostgreSQL and
Redis"): on db a PostgreSQL cluster of its own (initdb into the run's folder, run as the postgres
user) and redis-server, both listening on db's address only, and the SMTP sink; on web gunicorn
(gunicorn.conf.py, wsgi:app) and the one beat; on w1, w2 a Celery worker each. Every app process
gets the same environment: APP_CONFIG=production, SECRET_KEY, DATABASE_URL and REDIS_URL
naming db's address."""

import glob
import os
import shutil
import socket
import sys
import time
import urllib.request
from pathlib import Path

import psycopg2

from scripts.multihost.netns import Topology

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_PORT, REDIS_PORT, SMTP_PORT, WEB_PORT = 5432, 6379, 2525, 8000
DATABASE = "socialwork"
# PostgreSQL drops the connection of a host that went silent within seconds (keepalives on an
# idle connection, tcp_user_timeout on one it is writing to, and a check during a long query):
# only then is the row lock of the part that host was computing released for the reaper.
PG_SETTINGS = {
    "tcp_keepalives_idle": "2",
    "tcp_keepalives_interval": "1",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "5000",
    "client_connection_check_interval": "1000",
    "max_connections": "200",
    "fsync": "off",  # a throwaway cluster: the figures compare one host with two, on the same settings
}
# The reaper (README, "Celery in production") every second: a part whose worker's lock is gone is
# queued again after 3 s; a part queued 30 s ago that no worker took (its message fetched by a
# host cut off before it began) too. 30 s: longer than a part waits in the queue in these runs.
REAPER = {"REAPER_EVERY_SECONDS": "1", "REAPER_DEAD_SECONDS": "3", "REAPER_STALL_SECONDS": "30"}


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("no PostgreSQL server in /usr/lib/postgresql/*/bin")
    return Path(found[-1]).parent


def database_url(topo: Topology) -> str:
    return f"postgresql://postgres@{topo.address['db']}:{PG_PORT}/{DATABASE}"


def redis_url(topo: Topology) -> str:
    return f"redis://{topo.address['db']}:{REDIS_PORT}/0"


def app_env(topo: Topology, workdir: Path, host: str, **extra: str) -> dict:
    """The environment of an app process on `host` (its own instance folder, as on a machine)."""
    instance = workdir / host
    instance.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        APP_CONFIG="production",
        SECRET_KEY=topo.secret,
        DATABASE_URL=database_url(topo),
        REDIS_URL=redis_url(topo),
        INSTANCE_PATH=str(instance),
        FLASK_APP="wsgi.py",
        PGCONNECT_TIMEOUT="5",
        MAIL_SERVER=topo.address["db"],
        MAIL_PORT=str(SMTP_PORT),
        QUIET_HOURS="",
        REMINDER_CLAIM_EXPIRY_SECONDS="8",
        MAIL_TIMEOUT="3",  # under the claim expiry (config.py)
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        **REAPER,
    )
    env.update(extra)
    return env


def start_db(topo: Topology, workdir: Path) -> None:
    """PostgreSQL and Redis on db's address; returns once both answer this process."""
    workdir.chmod(0o755)  # the postgres user reaches its folders inside
    data, sockets = workdir / "pgdata", workdir / "pgsock"
    for folder in (data, sockets):
        folder.mkdir()
        shutil.chown(folder, "postgres", "postgres")
    as_postgres = ["runuser", "-u", "postgres", "--"]
    topo.run(
        "db",
        [*as_postgres, str(pg_bin() / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
        + ["-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
        os.environ.copy(),
        ROOT,
    )
    with open(data / "pg_hba.conf", "a") as hba:
        hba.write(f"host all all {topo.subnet} trust\n")
    settings = [f"-c{k}={v}" for k, v in {"listen_addresses": topo.address["db"], **PG_SETTINGS}.items()]
    topo.spawn(
        "db",
        [*as_postgres, str(pg_bin() / "postgres"), "-D", str(data), "-k", str(sockets), *settings],
        os.environ.copy(),
        workdir / "postgres.log",
        ROOT,
    )
    topo.spawn(
        "db",
        [
            "redis-server",
            "--bind",
            topo.address["db"],
            "--port",
            str(REDIS_PORT),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
            "--dir",
            str(workdir),
        ],
        os.environ.copy(),
        workdir / "redis.log",
        ROOT,
    )
    admin = f"postgresql://postgres@{topo.address['db']}:{PG_PORT}/postgres"
    wait_for(lambda: _connects(admin), 60, "PostgreSQL on db")
    wait_for(lambda: _redis_answers(topo.address["db"]), 30, "Redis on db")
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    conn.cursor().execute(f"CREATE DATABASE {DATABASE}")
    conn.close()


def start_sink(topo: Topology, workdir: Path) -> Path:
    out = workdir / "sink-message-ids.txt"
    out.write_text("")
    topo.spawn(
        "db",
        [sys.executable, "-m", "scripts.multihost.sink", topo.address["db"], str(SMTP_PORT), str(out)],
        os.environ.copy(),
        workdir / "sink.log",
        ROOT,
    )
    wait_for(lambda: _port_open(topo.address["db"], SMTP_PORT), 30, "the SMTP sink on db")
    return out


def migrate_and_seed(topo: Topology, workdir: Path, workers: int) -> float:
    """`flask db upgrade` and `flask seed-demo --workers N`, run on web; returns the seconds."""
    env, start = app_env(topo, workdir, "web"), time.perf_counter()
    topo.run("web", [str(BIN / "flask"), "db", "upgrade"], env, ROOT)
    topo.run("web", [str(BIN / "flask"), "seed-demo", "--workers", str(workers)], env, ROOT, timeout=1800)
    return time.perf_counter() - start


def start_web(topo: Topology, workdir: Path) -> str:
    """gunicorn and the one beat on web; returns the site's address once /readyz says 200."""
    env = app_env(topo, workdir, "web", BIND=f"{topo.address['web']}:{WEB_PORT}", WEB_CONCURRENCY="2")
    topo.spawn("web", [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], env, workdir / "web.log", ROOT)
    topo.spawn(
        "web",
        [
            str(BIN / "celery"),
            "-A",
            "worker.celery_app",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(workdir / "web" / "celerybeat-schedule"),
        ],
        env,
        workdir / "beat.log",
        ROOT,
    )
    base = f"http://{topo.address['web']}:{WEB_PORT}"
    wait_for(lambda: _ready(base), 90, "gunicorn's /readyz on web")
    return base


def start_worker(topo: Topology, workdir: Path, host: str, concurrency: int = 1) -> Path:
    """A Celery worker (all four queues) on `host`; returns its log once it says it is ready."""
    log = workdir / f"{host}.log"
    before = log.read_bytes().count(b" ready.") if log.exists() else 0
    topo.spawn(
        host,
        [
            str(BIN / "celery"),
            "-A",
            "worker.celery_app",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "-n",
            f"{host}@%h",
        ],
        app_env(topo, workdir, host),
        log,
        ROOT,
    )
    wait_for(lambda: log.read_bytes().count(b" ready.") > before, 90, f"the Celery worker on {host}")
    return log


def wait_for(check, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise RuntimeError(f"{what}: not there after {timeout:.0f} s")


def _connects(url: str) -> bool:
    try:
        psycopg2.connect(url, connect_timeout=2).close()
        return True
    except psycopg2.OperationalError:
        return False


def _port_open(address: str, port: int) -> bool:
    try:
        socket.create_connection((address, port), timeout=1).close()
        return True
    except OSError:
        return False


def _redis_answers(address: str) -> bool:
    try:
        with socket.create_connection((address, REDIS_PORT), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=3) as response:  # noqa: S310 (http to our own host)
            return response.status == 200
    except OSError:
        return False
