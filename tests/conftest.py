"""The database is created once per test session (by the migrations); each test runs in a
transaction that is rolled back, so tests never see each other's data."""

import os
import tempfile

import pytest
import sqlalchemy as sa
from flask import g, request_started
from sqlalchemy.orm import scoped_session, sessionmaker

from tests import services
from tests.clock import Clock, start_shifted_clock

_TMP = tempfile.mkdtemp(prefix="socialwork-tests-")
os.environ.setdefault("INSTANCE_PATH", _TMP)


def _database_url() -> str:
    if os.environ.get("TEST_DATABASE_URL"):
        return os.environ["TEST_DATABASE_URL"]
    # One database per test process, so parallel runs never drop each other's tables.
    url = services.postgres_database(f"socialwork_test_{os.getpid()}")
    if url:
        return url
    if services.services_required():
        pytest.exit("PostgreSQL is required (REQUIRE_SERVICES=1) but is not reachable", returncode=3)
    return f"sqlite:///{_TMP}/test.sqlite"


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    from app import create_app

    url = _database_url()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=f"{_TMP}/uploads")
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
    if url.startswith("postgresql"):
        services.drop_postgres_database(sa.engine.make_url(url).database)


@pytest.fixture(autouse=True)
def _rollback(request, app):
    """Run each test inside a transaction that is rolled back; commits become savepoints."""
    if request.node.get_closest_marker("no_db_transaction"):
        yield
        return
    from app.core.audit import acting_user_id
    from app.extensions import db, limiter

    limiter.reset()
    acting_user_id.set(None)  # a command run by an earlier test named its user
    app.extensions["celery"].set_default()  # another test may have built an app of its own
    app.extensions["celery"].set_current()
    with app.app_context(), request_started.connected_to(_fresh_g, app):
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = _TestSession(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        try:
            yield
        finally:
            scoped_session.remove(db.session)
            db.session = original
            outer.rollback()
            connection.close()


class _TestSession(scoped_session):
    """In production each request or task closes its session at the end. Here the test's own
    objects must stay attached, so the end of a request discards uncommitted work the same way
    (a rollback to the savepoint) without closing the session."""

    def remove(self):
        if self.registry.has():
            self.registry().rollback()


def _fresh_g(sender, **extra):
    """Requests reuse the test's app context; give each one a fresh `g`, as in production
    (otherwise the signed-in user and the locale would leak from one request to the next)."""
    for key in list(g):
        g.pop(key)


@pytest.fixture
def db(app):
    from app.extensions import db

    return db


@pytest.fixture
def app_ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


def pytest_configure(config):
    shifted = start_shifted_clock()
    if shifted is not None:
        config._shifted_clock = shifted
    config.addinivalue_line("markers", "no_db_transaction: the test manages its own database")
    config.addinivalue_line("markers", "browser: drives a real chromium")


def dialect(app) -> str:
    return sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()


class World:
    """Two districts, a worker in each, and one user of every role."""


@pytest.fixture
def world(app):
    from app.core.access import Role
    from tests import factories as f

    w = World()
    w.community_a = f.community("500103", name="和平社区")
    w.community_b = f.community("500104", name="幸福社区")
    w.worker_a = f.worker(w.community_a, name="张伟", phone="13800000001")
    w.worker_b = f.worker(w.community_b, name="李娜", phone="13800000002", number=f.id_number("500104"))
    w.admin = f.user(Role.admin, "t_admin")
    w.coord_a = f.user(Role.coordinator, "t_coord_a", districts=["500103"])
    w.coord_city = f.user(Role.coordinator, "t_coord_city", city_wide=True)
    w.payroll_a = f.user(Role.payroll, "t_payroll_a", districts=["500103"])
    w.payroll_city = f.user(Role.payroll, "t_payroll_city", city_wide=True)
    w.payroll_city2 = f.user(Role.payroll, "t_payroll_city2", city_wide=True)
    w.worker_user = f.user(Role.worker, "t_worker_a", worker_record=w.worker_a)
    w.worker_user_b = f.user(Role.worker, "t_worker_b", worker_record=w.worker_b)
    from datetime import date
    from decimal import Decimal

    from app.exams import services as exams
    from app.exams.models import Qualification, ReviewItem
    from app.extensions import db

    w.exam_year = exams.save_exam_year(2024, date(2024, 12, 20), date(2024, 10, 26))
    exams.enter_result(w.worker_a.id, w.exam_year, "A1", Decimal("72"))
    w.result = exams.enter_result(w.worker_a.id, w.exam_year, "A2", Decimal("65.5"))
    w.qualification = db.session.query(Qualification).filter_by(worker_id=w.worker_a.id).one()
    w.queue_item = ReviewItem(
        kind="results",
        id_number="11010519491231002X",
        name="某人",
        key="2024:A1",
        payload={"year": 2024, "subject": "A1", "score": "70.0"},
        filename="r.csv",
        imported_by=w.coord_a.id,
    )
    db.session.add(w.queue_item)
    from app.allowance import services as allowance
    from app.allowance.rules import Month

    w.hold = allowance.add_hold(w.worker_b.id, Month.of(2026, 11), "核查中")
    allowance.start_compute(Month.of(2026, 10), None)
    from app.training import services as training
    from tests.training.helpers import course, session

    w.course = course()
    w.session = session(w.course, district_id=w.community_a.district_id)
    w.enrolment = training.enrol(w.session, w.worker_a.id)
    db.session.commit()
    return w


@pytest.fixture
def clock():
    """Move the clock for this test: `clock.move_to(datetime(...))`; put back afterwards."""
    c = Clock()
    yield c
    c.stop()


@pytest.fixture
def today():
    """Today in Beijing on the suite's clock; build dates relative to it."""
    from app.core.timeutil import local_today

    return local_today()
