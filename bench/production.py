"""The production scenario (issue #13): the two pages people open most, under gunicorn as
production runs it, with many people at once; then a backup and a restore of the database.

- gunicorn with the project's gunicorn.conf.py and APP_CONFIG=production (SECRET_KEY,
  DATABASE_URL, REDIS_URL set as an operator would), on a free port of the loopback;
- `--clients` (20) HTTP clients, each signed in through the login form with its own session:
  the worker list (GET /workers/, the first page of the city's 100,000) as a city-wide
  coordinator or the admin, in turn; then "my record" (GET /workers/me) as workers, each client
  a different worker (bench accounts for 20 workers, made once if missing);
- for each page: p50 / p95 / p99 and requests per second over `--load-seconds`;
- `flask backup create`, `flask backup restore NAME --into` a new database (bench/backup_drill.py).
"""

import os
import runpy
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher

from bench import backup_drill
from bench.common import ensure_demo_database, vacuum_analyze
from bench.http_load import Client, Load, run_load
from bench.proc_cpu import ServerCpu
from bench.scenario import DEMO_PASSWORD, PROJECT
from bench.timing import BenchError, Result, percentile

TARGET_P95_MS = 250
LIST_ACCOUNTS = ("coord_city", "admin")
LIST_PATH = "/workers/"
ME_PATH = "/workers/me"
LIST_ROWS = 50
SECRET = "bench-production-not-a-secret"


@dataclass
class LoadOptions:
    url: str
    redis_url: str
    clients: int = 20
    seconds: float = 30.0
    warmups: int = 3
    vacuum: bool = True  # VACUUM ANALYZE first, as the other scenarios do (the steady state autovacuum keeps)


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path
    notes: list[str] = field(default_factory=list)


def free_port(start: int = 8300) -> int:
    # scripts/ is not a package: the same function `make run` uses, loaded from its file
    return runpy.run_path(str(PROJECT / "scripts" / "free_port.py"))["first_free"](start)


def server_env(base: dict, opts: LoadOptions, port: int, workdir: Path) -> dict:
    metrics = workdir / "prometheus"
    metrics.mkdir(parents=True, exist_ok=True)
    return {
        **base,
        "APP_CONFIG": "production",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": opts.url,
        "REDIS_URL": opts.redis_url,
        "BIND": f"127.0.0.1:{port}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
    }


def start_gunicorn(base_env: dict, opts: LoadOptions, workdir: Path) -> Server:
    """`gunicorn -c gunicorn.conf.py wsgi:app` (the Procfile's web line), until /healthz answers."""
    port = free_port()
    env = server_env(base_env, opts, port, workdir)
    log = workdir / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=str(PROJECT),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(port, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited ({process.returncode}): {_tail(log)}")
        try:
            if Client(port, timeout=2).request("GET", "/healthz")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        stop(server)
        raise BenchError(f"gunicorn did not answer /healthz within 60 s: {_tail(log)}")
    conf = _conf(env)
    server.notes.append(
        f"gunicorn (gunicorn.conf.py, APP_CONFIG=production) on 127.0.0.1:{port}: {conf['worker_class']},"
        f" {conf['workers']} processes × {conf['threads']} threads, one JSON log line per request"
    )
    return server


def _conf(env: dict) -> dict:
    """The settings gunicorn read from gunicorn.conf.py with this environment."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return runpy.run_path(str(PROJECT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()  # SIGTERM: gunicorn finishes its requests, then stops
        try:
            server.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)


def _tail(path: Path, lines: int = 10) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run(opts: LoadOptions, workers: int, workdir: Path) -> tuple[list[Result], list[str], dict[str, str]]:
    """The database as seed-demo leaves it (reused when it holds `workers`), the pages, the
    backup drill; with the machine's load average (1, 5, 15 min) before and after each."""
    notes: list[str] = []
    env, seeded = ensure_demo_database(opts.url, workers, workdir, notes)
    if opts.vacuum:
        vacuum_analyze(opts.url)
    notes.append("VACUUM ANALYZE ran before the pages" if opts.vacuum else "no VACUUM ANALYZE before the pages")
    loads = {"before": load_average()}
    pages, measured = measure_pages(env, opts, workdir)
    loads["after the pages"] = load_average()
    drill, restored = backup_drill.run(opts.url, env, workdir)
    loads["after the backup"] = load_average()
    notes += measured + restored
    notes.append("load average (1/5/15 min): " + "; ".join(f"{k} {v}" for k, v in loads.items()))
    return seeded + pages + drill, notes, loads


def load_average() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


# ---- accounts ----


def worker_accounts(url: str, count: int) -> list[str]:
    """Usernames of `count` worker accounts, each a different worker spread over the registry
    (bench_me_<worker id>, the demo password): made once, set-based, when missing."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            ids = list(
                conn.execute(sa.text("SELECT id FROM worker ORDER BY md5(id::text) LIMIT :n"), {"n": count}).scalars()
            )
            conn.execute(
                sa.text(
                    'INSERT INTO "user" (username, password_hash, role, display_name, email, worker_id, active,'
                    " city_wide, locale, must_change_password, created_at, updated_at)"
                    " SELECT 'bench_me_' || w.id, :hash, 'worker', w.name, 'me' || w.id || '@example.org', w.id,"
                    " true, false, 'zh_CN', false, now(), now()"
                    " FROM worker w WHERE w.id = ANY(:ids)"
                    ' AND NOT EXISTS (SELECT 1 FROM "user" u WHERE u.worker_id = w.id)'
                    " ON CONFLICT DO NOTHING"
                ),
                {"hash": PasswordHasher().hash(DEMO_PASSWORD), "ids": ids},
            )
            names = conn.execute(
                sa.text("SELECT username FROM \"user\" WHERE worker_id = ANY(:ids) AND role = 'worker' AND active"),
                {"ids": ids},
            ).scalars()
            return sorted(names)
    finally:
        engine.dispose()


# ---- the load ----


def signed_in(port: int, logins: list[str], clients: int) -> list[Client]:
    out = []
    for n in range(clients):
        client = Client(port)
        client.sign_in(logins[n % len(logins)], DEMO_PASSWORD)
        out.append(client)
    return out


def _list_ok(status: int, body: bytes) -> str:
    if status != 200:
        return f"status {status}"
    rows = body.count(b'<td class="id-number">')
    return "" if rows == LIST_ROWS else f"{rows} rows, not {LIST_ROWS}"


def _record_ok(status: int, body: bytes) -> str:
    if status != 200:
        return f"status {status}"
    return "" if b'id="full-id-number"' in body else "no record on the page"


def measure_pages(base_env: dict, opts: LoadOptions, workdir: Path) -> tuple[list[Result], list[str]]:
    workers = worker_accounts(opts.url, opts.clients)
    if not workers:
        raise BenchError("no worker accounts could be made: is the database seeded?")
    server = start_gunicorn(base_env, opts, workdir)
    notes = list(server.notes)
    results = []
    try:
        pages = (
            (f"list {LIST_PATH} (coord_city, admin)", list(LIST_ACCOUNTS), LIST_PATH, _list_ok),
            (f"my record {ME_PATH} ({len(workers)} workers)", workers, ME_PATH, _record_ok),
        )
        for label, logins, path, check in pages:
            alone, _cpu = _load(server, opts, logins[:1], path, check, seconds=min(opts.seconds, 5))
            if not alone.samples_ms:
                raise BenchError(f"{label}: no request succeeded for one client ({'; '.join(alone.errors[:3])})")
            load, cpu = _load(server, opts, logins, path, check, seconds=opts.seconds, clients=opts.clients)
            results += page_results(label, load, opts.clients) + cpu_results(label, load, cpu)
            results.append(Result(f"{label}, one client alone: p50", percentile(alone.samples_ms, 50), "ms"))
            notes.append(_load_note(label, load, opts))
    finally:
        stop(server)
    return results, notes


def _load(
    server: Server, opts: LoadOptions, logins, path, check, seconds: float, clients: int = 1
) -> tuple[Load, ServerCpu]:
    """The clients signed in, then the load on `path`, and the server's CPU while it lasted."""
    signed = signed_in(server.port, logins, clients)
    cpu = ServerCpu(server.process.pid, opts.url)
    try:
        load = run_load(signed, lambda _n: path, check, seconds=seconds, warmups=opts.warmups, meter=cpu)
    finally:
        for client in signed:
            client.close()
    return load, cpu


def page_results(label: str, load: Load, clients: int) -> list[Result]:
    if not load.samples_ms:
        raise BenchError(f"{label}: no request succeeded ({'; '.join(sorted(set(load.errors))[:3])})")
    p = {q: percentile(load.samples_ms, q) for q in (50, 95, 99)}
    return [
        Result(f"{label}, {clients} clients: p50", p[50], "ms"),
        Result(f"{label}: p95", p[95], "ms", TARGET_P95_MS),
        Result(f"{label}: p99", p[99], "ms"),
        Result(f"{label}: throughput", load.per_second, "req/s"),
        Result(f"{label}: failed requests", len(load.errors), "", 1, target_label="0"),
    ]


def cpu_results(label: str, load: Load, cpu: ServerCpu) -> list[Result]:
    n = len(load.samples_ms) + len(load.errors)
    web = cpu.web / n * 1000
    database = cpu.database / n * 1000
    cores = os.cpu_count() or 1
    replaced = (
        "gunicorn replaced a worker (WEB_MAX_REQUESTS) during the load: its connections' last"
        f" {ServerCpu.SAMPLE:g} s of database CPU at most went unseen; the new worker's start-up counts in gunicorn's"
    )
    return [
        Result(f"{label}: server CPU a request, gunicorn", web, "ms"),
        Result(f"{label}: server CPU a request, PostgreSQL", database, "ms", note=replaced if cpu.replaced else ""),
        Result(
            f"{label}: ceiling, {cores} idle cores / CPU a request",
            cores / (web + database) * 1000 if web + database else None,
            "req/s",
        ),
    ]


def _load_note(label: str, load: Load, opts: LoadOptions) -> str:
    wrong = f"; errors: {', '.join(sorted(set(load.errors))[:3])}" if load.errors else ""
    per_request = load.client_cpu_s / len(load.samples_ms) * 1000 if load.samples_ms else 0
    return (
        f"{label}: {len(load.samples_ms):,} requests in {load.seconds:.1f} s after {opts.warmups} unmeasured"
        f" per client; the clients' own CPU: {load.client_cpu_s:.1f} s ({per_request:.1f} ms a request){wrong}"
    )
