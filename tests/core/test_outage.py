"""Redis stopped: the sign-in throttle's storage fails safe (issue #13, Outages).

The shared Redis is never stopped: the limiter of a second app points at a port nothing listens
on, which is what a stopped Redis looks like to the app.
"""

import pytest

from app import create_app
from app.extensions import limiter
from app.training import throttle
from tests.factories import csrf_token, login

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(app):
    """An app like the test app whose throttle storage is a Redis that does not answer. The
    limiter is one object shared by every app: it is bound to the test app again afterwards."""
    down = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], RATELIMIT_STORAGE_URI=DEAD_REDIS
    )
    yield down
    limiter.init_app(app)
    limiter._storage_dead = False  # the flag the fallback sets; init_app leaves it as it was
    app.extensions["celery"].set_default()


def test_sign_in_works_and_pages_serve_while_redis_is_down(redis_down, world):
    client = redis_down.test_client()
    assert client.get("/login").status_code == 200
    login(client, world.coord_a.username)
    assert client.get("/").status_code == 200
    assert client.get("/workers/").status_code == 200


def test_the_throttle_still_counts_failed_sign_ins_in_memory_while_redis_is_down(redis_down, world):
    client = redis_down.test_client()
    token = csrf_token(client, "/login")
    answers = [
        client.post("/login", data={"login": world.coord_a.username, "password": "wrong", "csrf_token": token})
        for _ in range(6)
    ]
    assert [a.status_code for a in answers[:5]] == [200] * 5  # the form again, with the reason
    assert answers[5].status_code == 429  # LOGIN_ACCOUNT_LIMITS: 5 per minute, held in memory


def test_check_in_codes_are_still_throttled_in_memory_while_redis_is_down(redis_down):
    with redis_down.test_request_context():
        assert throttle.minutes_to_wait(90001, [70001]) == 0  # answers, instead of a 500
        for _ in range(5):
            throttle.count_wrong_code(90001, [70001])
        assert throttle.minutes_to_wait(90001, [70001]) >= 1
