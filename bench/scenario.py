"""The scenario: a fresh PostgreSQL database, the demo seed through the real CLI, list pages and
"my record" through Flask's test client, then a posts import of new workers, twice."""

import csv
import math
import os
import random
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from app import create_app
from app.core.identity import make_id_number
from app.demo import GIVEN, SURNAMES
from app.workers.importer import POSTS_COLUMNS
from bench.timing import BenchError, Result, checked, percentile, run_child, sample_ms

PROJECT = Path(__file__).resolve().parents[1]
FLASK = str(Path(sys.executable).parent / "flask")
DEMO_PASSWORD = "Demo2026!"
PAGE_SIZE = 50
DEEP_PAGE = 200


class PostgresUnreachable(BenchError):
    pass


@dataclass
class Options:
    url: str
    workers: int = 100_000
    reuse: bool = False
    runs: int = 30
    warmups: int = 3
    import_rows: int = 100_000
    vacuum: bool = True  # VACUUM ANALYZE before measuring pages: the steady state autovacuum keeps


@dataclass
class Facts:
    """What the report says besides the measures."""

    reused: bool = False
    workers_before_import: int = 0
    notes: list[str] = field(default_factory=list)


def run(opts: Options, workdir: Path | None = None) -> tuple[list[Result], Facts]:
    """In workdir (the files and the instance folder), or in a temporary folder of its own."""
    if workdir is not None:
        return _run(opts, workdir)
    with tempfile.TemporaryDirectory(prefix="socialwork-bench-") as tmp:
        return _run(opts, Path(tmp))


def _run(opts: Options, workdir: Path) -> tuple[list[Result], Facts]:
    facts = Facts()
    env = child_env(opts.url, workdir)
    engine = sa.create_engine(opts.url)
    try:
        facts.reused = prepare_database(opts.url, opts.reuse)
        results = [] if facts.reused else seed(opts, env, engine)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            autovacuum = conn.execute(sa.text("SHOW autovacuum")).scalar()
            if opts.vacuum:
                conn.execute(sa.text("VACUUM ANALYZE"))
        facts.notes.append(
            f"VACUUM ANALYZE ran before the page measures (server autovacuum={autovacuum})"
            if opts.vacuum
            else f"no VACUUM ANALYZE before the page measures (server autovacuum={autovacuum})"
        )
        facts.workers_before_import = _scalar(engine, "SELECT count(*) FROM worker")
        results += web(opts, engine)
        results += posts_import(opts, env, engine, workdir)
    finally:
        engine.dispose()
    return results, facts


def child_env(url: str, workdir: Path) -> dict:
    """The environment of the `flask` children; INSTANCE_PATH is set in-process too."""
    env = {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "APP_CONFIG": "development",
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(workdir / "instance"),
    }
    os.environ["INSTANCE_PATH"] = env["INSTANCE_PATH"]  # read when config.py is imported, in-process too
    return env


# ---- the database ----


def prepare_database(url: str, reuse: bool) -> bool:
    """Drop and recreate the database; with reuse, keep it when it already holds workers."""
    target = sa.engine.make_url(url)
    if reuse and _existing_workers(url):
        return True
    name = target.database or ""
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise BenchError(f"refusing to drop a database named {name!r}: use letters, digits and _")
    admin = sa.create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        conn = admin.connect()
    except sa.exc.OperationalError as exc:
        raise PostgresUnreachable(
            f"PostgreSQL is not reachable at {safe_url(url)}; start it or set BENCH_DATABASE_URL.\n"
            f"  ({str(exc.orig).strip().splitlines()[0]})"
        ) from None
    with conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return False


def _existing_workers(url: str) -> int:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        return _scalar(engine, "SELECT count(*) FROM worker")
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        return 0
    finally:
        engine.dispose()


def _scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def safe_url(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


# ---- 1. migrations and the demo seed, through the real CLI ----


def seed(opts: Options, env: dict, engine) -> list[Result]:
    upgrade = checked(run_child([FLASK, "db", "upgrade"], env, str(PROJECT)), "flask db upgrade")
    demo = checked(
        run_child([FLASK, "seed-demo", "--workers", str(opts.workers)], env, str(PROJECT)),
        "flask seed-demo",
    )
    loaded = _scalar(engine, "SELECT count(*) FROM worker")
    if loaded != opts.workers:
        raise BenchError(f"seed-demo loaded {loaded} workers, not {opts.workers}")
    return [
        Result("flask db upgrade", upgrade.seconds, "s"),
        Result(f"flask seed-demo --workers {opts.workers}", demo.seconds, "s"),
        Result("seed-demo peak RSS", demo.peak_rss_mib, "MiB"),
    ]


# ---- 2 and 3. pages, as logged-in users, through Flask's test client ----


@dataclass
class Page:
    label: str
    user: str
    url: str
    rows: int | None  # list rows expected on the page; None for "my record"
    target_ms: float
    note: str = ""


def web(opts: Options, engine) -> list[Result]:
    app = create_app("development", SQLALCHEMY_DATABASE_URI=opts.url, WTF_CSRF_ENABLED=False)
    clients = {}
    results = []
    for page in _pages(engine):
        if page.user not in clients:
            clients[page.user] = _logged_in(app, page.user)
        client = clients[page.user]

        def fetch(client=client, page=page):
            _check(client.get(page.url), page)

        samples = sample_ms(fetch, opts.runs, opts.warmups)
        results.append(Result(f"{page.label}: median", percentile(samples, 50), "ms", page.target_ms, page.note))
        results.append(Result(f"{page.label}: p95", percentile(samples, 95), "ms"))
    return results


def _pages(engine) -> list[Page]:
    with engine.connect() as conn:
        big = conn.execute(
            sa.text(
                "SELECT d.id, d.code, d.name, count(*) AS n FROM worker w JOIN district d ON d.id = w.district_id"
                " GROUP BY d.id ORDER BY n DESC, d.code LIMIT 1"
            )
        ).one()
        yz = conn.execute(
            sa.text(
                "SELECT d.id, d.code, d.name, count(w.id) AS n FROM district d"
                " LEFT JOIN worker w ON w.district_id = d.id WHERE d.code = '500103' GROUP BY d.id"
            )
        ).one()
        total = conn.execute(sa.text("SELECT count(*) FROM worker")).scalar()
    pages = []
    for who, district, count, base in (
        ("coord_city", big, big.n, f"/workers/?district={big.id}"),
        ("coord_yz", yz, yz.n, f"/workers/?district={yz.id}"),
        ("coord_city", None, total, "/workers/?"),
    ):
        where = f"district {district.code}" if district else "city-wide"
        about = f"{district.code} {district.name}: {count} workers" if district else f"{count} workers"
        for wanted in (1, DEEP_PAGE):
            number, note = _page_number(wanted, count)
            rows = min(PAGE_SIZE, max(0, count - (number - 1) * PAGE_SIZE))
            pages.append(
                Page(
                    f"list {where} page {number} ({who})",
                    who,
                    f"{base}&page={number}",
                    rows,
                    150,
                    "; ".join(filter(None, [about, note])) if wanted == 1 or note else "",
                )
            )
    pages.append(Page("my record /workers/me (worker)", "worker", "/workers/me", None, 50))
    return pages


def _page_number(wanted: int, count: int) -> tuple[int, str]:
    last = max(1, math.ceil(count / PAGE_SIZE))
    if wanted <= last:
        return wanted, ""
    return last, f"page {wanted} does not exist ({last} pages): the last page was measured"


def _logged_in(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"login": username, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise BenchError(f"logging in as {username} failed (status {response.status_code})")
    return client


def _check(response, page: Page) -> None:
    if response.status_code != 200:
        raise BenchError(f"GET {page.url} as {page.user} answered {response.status_code}")
    body = response.get_data()
    if page.rows is None:
        ok = b'id="full-id-number"' in body
    else:
        ok = body.count(b'<td class="id-number">') == page.rows
    if not ok:
        raise BenchError(f"GET {page.url} as {page.user} did not show the expected rows ({page.rows})")


# ---- 4. the posts import, through the real CLI ----

POSTS = ("书记/主任", "副书记/副主任", "两委委员", "专职工作人员")
POST_WEIGHTS = (8, 10, 25, 57)


def posts_import(opts: Options, env: dict, engine, workdir: Path) -> list[Result]:
    path = workdir / f"posts-{opts.import_rows}.csv"
    write_posts_csv(engine, path, opts.import_rows)
    command = [FLASK, "workers", "import", str(path)]
    before = _counts(engine)

    first = checked(run_child(command, env, str(PROJECT)), "the posts import")
    after = _counts(engine)
    added = (after[0] - before[0], after[1] - before[1])
    if added != (opts.import_rows, opts.import_rows):
        raise BenchError(f"the import added {added[0]} workers and {added[1]} periods, not {opts.import_rows} each")
    stale = _scalar(engine, "SELECT count(*) FROM worker WHERE district_id IS NULL")
    if stale:
        raise BenchError(f"after the import {stale} workers have no current post copied onto them")

    second = checked(run_child(command, env, str(PROJECT)), "the posts re-import")
    summary = _summary(second.output)
    changes = sum(summary[1:5])
    if _counts(engine) != after or summary[0] != opts.import_rows:
        raise BenchError(f"the re-import changed the database or misread the file: {second.output.strip()}")
    rows = f"{opts.import_rows:,} rows"
    return [
        Result(f"posts import, {rows} of new workers: wall time", first.seconds, "s", 60),
        Result("posts import: peak RSS", first.peak_rss_mib, "MiB", 500),
        Result(f"posts re-import, same {rows}: wall time", second.seconds, "s", 60),
        Result("posts re-import: peak RSS", second.peak_rss_mib, "MiB", 500),
        Result("posts re-import: changes reported", changes, "", 1, second.output.strip().splitlines()[-1], "0"),
    ]


def write_posts_csv(engine, path: Path, rows: int, seed: int = 7) -> None:
    """New workers only: valid, unique ID numbers (area = the community's district) not yet registered."""
    with engine.connect() as conn:
        communities = conn.execute(
            sa.text("SELECT c.code, d.code FROM community c JOIN district d ON d.id = c.district_id ORDER BY c.code")
        ).all()
        taken = set(conn.execute(sa.text("SELECT id_number FROM worker")).scalars())
    if not communities:
        raise BenchError("the bench database has no communities to import into")
    rng = random.Random(seed)
    first_start, span = date(2012, 1, 1), (date.today() - date(2012, 1, 1)).days - 30
    phones: set[str] = set()
    with path.open("w", encoding="utf-8", newline="") as file:
        out = csv.writer(file)
        out.writerow([c.zh for c in POSTS_COLUMNS])
        for _ in range(rows):
            community, area = rng.choice(communities)
            number = _new_id(rng, area, taken, make_id_number)
            phone = _new_phone(rng, phones)
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            post = rng.choices(POSTS, POST_WEIGHTS)[0]
            start = first_start + timedelta(days=rng.randint(0, span))
            out.writerow([number, name, phone, community, post, start.isoformat(), ""])


def _new_id(rng, area: str, taken: set[str], make_id_number) -> str:
    while True:
        birth = date(1965, 1, 1) + timedelta(days=rng.randint(0, 35 * 365))
        number = make_id_number(area, birth, rng.randint(0, 999))
        if number not in taken:
            taken.add(number)
            return number


def _new_phone(rng, phones: set[str]) -> str:
    while True:
        phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
        if phone not in phones:
            phones.add(phone)
            return phone


def _counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("worker", "post_period", "audit_log")
        )


def _summary(output: str) -> list[int]:
    """The six counts of the import's last line: rows read, new workers, changed workers,
    new periods, changed periods, rows already up to date (labels are translated)."""
    lines = output.strip().splitlines()
    numbers = [int(n) for n in re.findall(r"[:：]\s*(\d+)", lines[-1])] if lines else []
    if len(numbers) != 6:
        raise BenchError(f"cannot read the import's summary line: {lines[-1] if lines else '(no output)'}")
    return numbers
