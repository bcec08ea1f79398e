"""An unknown or inactive login costs one argon2 verification, like a wrong password."""

import pytest
from argon2 import PasswordHasher

from app.accounts import services
from app.extensions import db


@pytest.fixture
def verifications(monkeypatch):
    calls = []
    original = PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


def test_every_failed_login_runs_one_argon2_verification(app_ctx, world, verifications):
    assert services.authenticate("t_coord_a", "wrong-password1") is None
    assert len(verifications) == 1
    for unknown in ("no_such_user", "13999999999", "11010519491231002X", ""):
        verifications.clear()
        assert services.authenticate(unknown, "wrong-password1") is None
        assert len(verifications) == 1, unknown


def test_an_inactive_account_runs_the_same_verification(app_ctx, world, verifications):
    world.coord_a.active = False
    db.session.flush()
    assert services.authenticate("t_coord_a", "Passw0rd!") is None
    assert len(verifications) == 1
    assert verifications[0] != world.coord_a.password_hash  # its own hash says nothing either
