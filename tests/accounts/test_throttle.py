"""Failed sign-ins are throttled per account (whatever spelling of the login reaches it) and per
client address; successful ones never count."""

from datetime import timedelta

from app.core.timeutil import utcnow
from tests.factories import PASSWORD, csrf_token

WRONG = "wrong-password1"


def _try(client, who, password=WRONG, addr="127.0.0.1"):
    return client.post(
        "/login",
        data={"login": who, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": addr},
    )


def test_every_spelling_of_a_workers_login_counts_against_one_account(client, world):
    spellings = [
        "13800000001",
        "+86 138 0000 0001",
        "0086-138-0000-0001",
        "138-0000-0001",
        world.worker_a.id_number.lower(),
    ]
    for who in spellings:
        assert _try(client, who).status_code == 200, who
    assert _try(client, "t_worker_a").status_code == 429  # the user name reaches the same account
    assert _try(client, "+8613800000001", PASSWORD).status_code == 429
    assert _try(client, "t_admin", PASSWORD).status_code == 302  # other accounts are not affected


def test_an_unknown_login_is_throttled_by_its_normalised_form(client, world):
    for who in ("13900000009", "139 0000 0009", "+86-139-0000-0009", "0086 13900000009", "139-0000-0009"):
        assert _try(client, who).status_code == 200
    assert _try(client, "+86 139 0000 0009").status_code == 429


def test_twenty_failures_in_fifteen_minutes_lock_an_account(client, world, clock):
    start = utcnow()
    for batch in range(4):
        clock.move_to(start + timedelta(seconds=61 * batch), tick=True)
        for _ in range(5):
            assert _try(client, "t_coord_a").status_code == 200
    clock.move_to(start + timedelta(seconds=61 * 4), tick=True)
    assert _try(client, "t_coord_a", PASSWORD).status_code == 429
    clock.move_to(start + timedelta(minutes=16), tick=True)
    assert _try(client, "t_coord_a", PASSWORD).status_code == 302


def test_one_address_gets_fifty_failures_in_fifteen_minutes(client, world):
    for n in range(50):
        assert _try(client, f"nobody{n}").status_code == 200
    assert _try(client, "t_admin", PASSWORD).status_code == 429
    assert _try(client, "t_admin", PASSWORD, addr="192.0.2.7").status_code == 302  # another address


def test_the_limits_come_from_the_configuration(client, world, monkeypatch):
    monkeypatch.setitem(client.application.config, "LOGIN_ACCOUNT_LIMITS", "2 per minute")
    assert _try(client, "t_coord_a").status_code == 200
    assert _try(client, "t_coord_a").status_code == 200
    assert _try(client, "t_coord_a").status_code == 429


def test_throttled_attempts_do_not_extend_the_lock(client, world, clock):
    start = utcnow()
    clock.move_to(start, tick=True)
    for _ in range(5):
        _try(client, "t_coord_a")
    for _ in range(10):
        assert _try(client, "t_coord_a").status_code == 429
    clock.move_to(start + timedelta(seconds=61), tick=True)
    assert _try(client, "t_coord_a", PASSWORD).status_code == 302
