from app.accounts.models import PasswordResetRequest, User
from app.extensions import db
from tests.factories import PASSWORD, csrf_token, login, post


def test_passwords_are_stored_as_argon2_hashes(world):
    user = db.session.get(User, world.admin.id)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_change_password(client, world):
    login(client, "t_coord_a")
    response = post(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "N3w-password", "confirm": "N3w-password"},
    )
    assert response.status_code == 302
    post(client, "/logout")
    login(client.application.test_client(), "t_coord_a", "N3w-password")


def test_change_password_with_a_wrong_current_password_changes_nothing(client, world):
    login(client, "t_coord_a")
    before = db.session.get(User, world.coord_a.id).password_hash
    response = post(
        client,
        "/account/password",
        {"current_password": "nope-nope1", "new_password": "N3w-password", "confirm": "N3w-password"},
    )
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.coord_a.id).password_hash == before


def test_a_weak_new_password_is_refused(client, world):
    login(client, "t_coord_a")
    response = post(
        client, "/account/password", {"current_password": PASSWORD, "new_password": "12345678", "confirm": "12345678"}
    )
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)


def test_forgot_password_then_admin_reset_then_forced_change(client, world):
    token = csrf_token(client, "/forgot-password")
    assert client.post("/forgot-password", data={"login": "t_coord_a", "csrf_token": token}).status_code == 302
    # an unknown login gets the same answer and queues nothing
    token = csrf_token(client, "/forgot-password")
    assert client.post("/forgot-password", data={"login": "nobody", "csrf_token": token}).status_code == 302
    requests = db.session.query(PasswordResetRequest).all()
    assert [r.user_id for r in requests] == [world.coord_a.id]

    admin = client.application.test_client()
    login(admin, "t_admin")
    assert "t_coord_a" in admin.get("/admin/users").get_data(as_text=True)
    response = post(
        admin, f"/admin/users/{world.coord_a.id}/reset-password", {"reset-temporary_password": "Temp-2026x"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PasswordResetRequest, requests[0].id).resolved_at is not None

    user = client.application.test_client()
    login(user, "t_coord_a", "Temp-2026x")
    forced = user.get("/workers/")
    assert forced.status_code == 302 and forced.headers["Location"].endswith("/account/password")
    post(
        user,
        "/account/password",
        {"current_password": "Temp-2026x", "new_password": "Mine-2026x", "confirm": "Mine-2026x"},
    )
    assert user.get("/workers/").status_code == 200
