"""A live server on a committed database, loaded with the demo data.

Shared by the browser tests (tests/browser/conftest.py) and scripts/screenshots.py. The main
test suite rolls each test back, so a real browser needs its own database whose data is
committed: PostgreSQL when it is reachable, else a SQLite file in a temporary directory.
"""

import os
import random
import shutil
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from celery import _state as celery_state
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests import services

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    if os.path.exists(services.CHROMIUM):
        return services.CHROMIUM
    return shutil.which("chromium")


@dataclass
class DemoWorker:
    """The demo worker linked to the `worker` account."""

    id: int
    name: str
    id_number: str
    phone: str | None


@dataclass(frozen=True)
class PaidMonth:
    """A month in which a worker is in post and registered every day: paid rate × D/D."""

    month: str  # YYYY-MM
    days: int
    rate: Decimal

    @property
    def formula(self) -> str:
        """The line's formula as the allowance rules write it (app/allowance/rules.py)."""
        return f"{self.rate:.2f} × {self.days}/{self.days} = {self.rate:.2f}"


def _covers(start: date, end: date | None, first: date, last: date) -> bool:
    return start <= first and (end is None or end >= last)


@dataclass
class LiveServer:
    url: str
    app: Flask
    database_url: str
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self, drop: bool = False) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        from app.extensions import db

        with self.app.app_context():
            db.engine.dispose()
        if drop:
            drop_database(self.database_url)

    def demo_worker(self) -> DemoWorker:
        import sqlalchemy as sa

        from app.accounts.models import User
        from app.extensions import db

        with self.app.app_context():
            user = db.session.scalar(sa.select(User).where(User.username == "worker"))
            w = user.worker
            found = DemoWorker(w.id, w.name, w.id_number, w.phone)
            db.session.remove()
            return found

    def paid_months(self, worker: DemoWorker) -> list[PaidMonth]:
        """Past months without a run yet in which the worker is paid in full, newest first.

        The demo data depends on today's date, so these are read from the database: months after
        the worker's best qualification was obtained that a registration of that level and a post
        cover from the first day to the last.
        """
        import sqlalchemy as sa

        from app.allowance.compute import all_rates
        from app.allowance.models import AllowanceRun
        from app.allowance.rules import Month, rate_in_force
        from app.exams.models import Qualification, Registration
        from app.extensions import db
        from app.places.models import Community
        from app.workers.models import PostPeriod

        with self.app.app_context():
            quals = db.session.scalars(sa.select(Qualification).where(Qualification.worker_id == worker.id)).all()
            if not quals:
                return []
            top = max(quals, key=lambda q: q.level.rank)
            regs = db.session.execute(
                sa.select(Registration.registered_on, Registration.expires_on).where(
                    Registration.worker_id == worker.id, Registration.level == top.level
                )
            ).all()
            posts = db.session.execute(
                sa.select(PostPeriod.start_date, PostPeriod.end_date, Community.district_id)
                .join(Community, Community.id == PostPeriod.community_id)
                .where(PostPeriod.worker_id == worker.id)
            ).all()
            computed = set(db.session.scalars(sa.select(AllowanceRun.month)))
            rates = all_rates()
            db.session.remove()
        found = []
        month = Month(date.today().replace(day=1)).shift(-1)
        while month.first > top.obtained_on:
            first, last = month.first, month.last
            post = next((p for p in posts if _covers(p.start_date, p.end_date, first, last)), None)
            if (
                first not in computed
                and post is not None
                and any(_covers(start, end, first, last) for start, end in regs)
            ):
                rate = rate_in_force(rates, top.level, post.district_id, first)
                if rate is not None:
                    found.append(PaidMonth(str(month), month.days, rate.amount))
            month = month.shift(-1)
        return found


def meeting_now(now: datetime | None = None) -> tuple[datetime, datetime]:
    """A meeting happening now, in Beijing time and whole minutes, within one day (a meeting line
    names one date): from ten minutes ago until two hours from now, but not before midnight nor
    after 23:59. A check-in code works from 30 minutes before its meeting until 30 minutes after
    it, so a browser test has time to check in, and is not late (15 minutes after the start)."""
    from app.core.timeutil import LOCAL_TZ

    now = (now or datetime.now(LOCAL_TZ)).astimezone(LOCAL_TZ).replace(second=0, microsecond=0)
    start = max(now - timedelta(minutes=10), now.replace(hour=0, minute=0))
    end = min(now + timedelta(hours=2), now.replace(hour=23, minute=59))
    return start, end


def meeting_line(start: datetime, end: datetime) -> str:
    """A line of the session form's meetings: "YYYY-MM-DD HH:MM-HH:MM" (Beijing time)."""
    return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M}"


def local_input(value: datetime) -> str:
    """A value for an <input type=datetime-local> (Beijing time)."""
    return f"{value:%Y-%m-%dT%H:%M}"


def sign_in(page, base_url: str, login: str, password: str | None = None) -> None:
    """Sign in through the login form and wait until the user menu shows."""
    import re

    from playwright.sync_api import expect

    from app.demo import DEMO_PASSWORD

    page.goto(f"{base_url}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password or DEMO_PASSWORD)
    page.click("#sign-in")
    expect(page).not_to_have_url(re.compile(r"/login"))
    expect(page.locator("#user-menu")).to_be_visible()


def database_url(name: str, tmp_dir: Path) -> str:
    """A fresh PostgreSQL database when reachable, else a SQLite file in tmp_dir."""
    # One database per process, so parallel runs never drop each other's.
    url = services.postgres_database(f"{name}_{os.getpid()}")
    if url:
        return url
    if services.services_required():
        raise RuntimeError("PostgreSQL is required (REQUIRE_SERVICES=1) but is not reachable")
    return f"sqlite:///{tmp_dir / f'{name}.sqlite'}"


def drop_database(url: str) -> None:
    """Drop a PostgreSQL database made by database_url (a SQLite file goes with its directory)."""
    import sqlalchemy as sa

    name = sa.engine.make_url(url)
    if name.get_backend_name() != "postgresql":
        return
    engine = sa.create_engine(services.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name.database},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name.database}"'))
    engine.dispose()


def build_app(url: str, tmp_dir: Path, workers: int = 200, **overrides) -> Flask:
    """The testing app on `url`, migrated and loaded with the demo data, exams included (committed)."""
    from flask_migrate import upgrade

    from app import create_app, demo
    from app.extensions import db

    previous_celery = celery_state.default_app
    overrides.setdefault("UPLOAD_DIR", str(tmp_dir / "uploads"))
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, **overrides)
    if previous_celery is not None:
        # create_app makes its Celery app the process default, so eager tasks of the main
        # test app (created earlier in the same pytest run) would run in this app's context.
        # Give the default back; the live server makes its own app current per request.
        previous_celery.set_default()
        previous_celery.set_current()
    with app.app_context():
        upgrade()
        rng = random.Random(2026)
        demo.seed_places(rng)
        demo.seed_workers(rng, workers)
        demo.seed_exams(rng)
        demo.seed_accounts()
        db.session.commit()
        db.session.remove()
    return app


def start(name: str, tmp_dir: Path, workers: int = 200, **overrides) -> LiveServer:
    """Build the app and serve it on a free port of 127.0.0.1 in a daemon thread."""
    url = database_url(name, tmp_dir)
    app = build_app(url, tmp_dir, workers, **overrides)
    celery_app = app.extensions["celery"]

    def wsgi(environ, start_response):
        celery_app.set_current()  # each request runs in its own thread
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    return LiveServer(f"http://127.0.0.1:{server.server_port}", app, url, server, thread)


# ---- training, through the coordinator's forms ----


def create_course(
    page,
    base_url: str,
    title: str,
    credit_hours: str,
    track: str = "knowledge",
    target_level: str = "",
    description: str = "",
    threshold: str = "80",
) -> int:
    """Save a new course on /training/courses; it lands on the course's page (returns its id)."""
    import re

    from playwright.sync_api import expect

    page.goto(f"{base_url}/training/courses")
    page.select_option("select[name=track]", track)
    page.select_option("select[name=target_level]", target_level)
    page.fill("input[name=title]", title)
    page.fill("textarea[name=description]", description)
    page.fill("input[name=credit_hours]", credit_hours)
    page.fill("input[name=threshold]", threshold)
    page.click("#save-course")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/training/courses/\d+$"))
    expect(page.locator("#add-session")).to_be_visible()
    return int(page.url.rsplit("/", 1)[1])


def create_session(
    page,
    base_url: str,
    course_title: str,
    name: str,
    venue: str,
    capacity: int,
    district: str,
    meetings: list[tuple[datetime, datetime]],
    enrol_opens: datetime,
    enrol_closes: datetime,
) -> int:
    """Create a session of a course from the course's "new session" link; returns its id.

    `district` is the label of the "organised for" choice; times are in Beijing time.
    """
    from playwright.sync_api import expect

    page.goto(f"{base_url}/training/courses")
    row = page.locator("#courses-table tbody tr").filter(has=page.get_by_role("link", name=course_title, exact=True))
    expect(row).to_have_count(1)
    row.locator('a[href$="/sessions/new"]').click()
    return fill_session_form(page, base_url, name, venue, capacity, district, meetings, enrol_opens, enrol_closes)


def fill_session_form(
    page,
    base_url: str,
    name: str,
    venue: str,
    capacity: int,
    district: str,
    meetings: list[tuple[datetime, datetime]],
    enrol_opens: datetime,
    enrol_closes: datetime,
) -> int:
    """On a course's "new session" form: fill it in and save; returns the new session's id."""
    import re

    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(r"/training/courses/\d+/sessions/new$"))
    page.fill("input[name=name]", name)
    page.fill("input[name=venue]", venue)
    page.fill("input[name=capacity]", str(capacity))
    page.select_option("select[name=district_id]", label=district)
    page.fill("input[name=enrol_opens]", local_input(enrol_opens))
    page.fill("input[name=enrol_closes]", local_input(enrol_closes))
    page.fill("textarea[name=meetings]", "\n".join(meeting_line(s, e) for s, e in meetings))
    page.click("#save-session")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/training/sessions/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def enrol_by_id_number(page, id_number: str, name: str) -> None:
    """On a session page: enrol one worker by ID number and wait for the notice that they are
    enrolled (a seat, not the waitlist)."""
    from playwright.sync_api import expect

    page.fill("input[name='one-id_number']", id_number)
    page.click("#enrol-one")
    expect(page.locator(".alert-success").filter(has_text=name)).to_be_visible()


# ---- a live server whose jobs run on a real Celery worker process over Redis ----


def real_worker_overrides() -> dict:
    """Config for a live server that queues its jobs on Redis (this run's queue), not eagerly."""
    from config import Config

    return {
        "CELERY": {
            **Config.CELERY,
            "broker_url": services.REDIS_URL,
            "result_backend": services.REDIS_URL,
            "task_default_queue": services.QUEUE,
        }
    }


def start_worker_for(server: LiveServer, tmp_dir: Path):
    """A real Celery worker process on the live server's database and upload folder."""
    env = {
        **os.environ,
        "DATABASE_URL": server.database_url,
        "REDIS_URL": services.REDIS_URL,
        "INSTANCE_PATH": str(tmp_dir),  # the staged uploads are in tmp_dir/uploads
        "APP_CONFIG": "development",
    }
    return services.start_celery_worker(env, "e2e")
