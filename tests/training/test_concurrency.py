"""30 people press "enrol" at the same moment for 10 seats, each on their own connection."""

import os
import threading
import time

import pytest
import sqlalchemy as sa

from tests import services as test_services

pytestmark = pytest.mark.no_db_transaction


@pytest.fixture
def fresh_app(tmp_path):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    url = test_services.postgres_database(f"socialwork_enrol_{os.getpid()}")
    if url is None:
        if test_services.services_required():
            pytest.fail("PostgreSQL is required (REQUIRE_SERVICES=1) but is not reachable", pytrace=False)
        url = f"sqlite:///{tmp_path}/enrol.sqlite"
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 35, "max_overflow": 5} if url.startswith("postgresql") else {},
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if url.startswith("postgresql"):
        test_services.drop_postgres_database(sa.engine.make_url(url).database)


def test_thirty_simultaneous_requests_for_ten_seats(fresh_app):
    from app.extensions import db
    from app.training import services
    from app.training.models import Enrolment, EnrolmentState, TrainingSession
    from tests import factories as f
    from tests.training.helpers import course, session

    with fresh_app.app_context():
        comm = f.community("500103")
        worker_ids = [f.worker(comm, name=f"学员{i:02d}").id for i in range(30)]
        session_id = session(course(), capacity=10).id
        db.session.commit()

    barrier = threading.Barrier(30)
    committed_at: dict[int, float] = {}
    errors = []

    def press(worker_id):
        with fresh_app.app_context():
            try:
                s = db.session.get(TrainingSession, session_id)
                barrier.wait(timeout=30)
                services.enrol(s, worker_id, by_worker=False)
                db.session.commit()
                committed_at[worker_id] = time.monotonic()
            except Exception as exc:
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press, args=(wid,)) for wid in worker_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors

    with fresh_app.app_context():
        rows = db.session.scalars(sa.select(Enrolment).where(Enrolment.session_id == session_id)).all()
        assert len(rows) == 30 and len({r.worker_id for r in rows}) == 30  # no duplicates
        by_position = sorted(rows, key=lambda r: r.position)
        assert [r.position for r in by_position] == list(range(1, 31))
        assert [r.state for r in by_position] == [EnrolmentState.enrolled] * 10 + [EnrolmentState.waitlisted] * 20
        # arrival order: the order in which the requests were served is the order of the line
        served = sorted(committed_at, key=committed_at.get)
        assert [r.worker_id for r in by_position] == served

        # a freed seat promotes exactly one: the first in line
        first_waiting = by_position[10]
        services.cancel_enrolment(by_position[0])
        db.session.commit()
        db.session.expire_all()
        states = {
            r.worker_id: r.state
            for r in db.session.scalars(sa.select(Enrolment).where(Enrolment.session_id == session_id))
        }
        assert list(states.values()).count(EnrolmentState.enrolled) == 10
        assert states[first_waiting.worker_id] == EnrolmentState.enrolled
        assert list(states.values()).count(EnrolmentState.waitlisted) == 19
