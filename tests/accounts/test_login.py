from app.accounts.models import User
from app.extensions import db
from tests.factories import PASSWORD, csrf_token, login, post


def _try(client, who, password):
    return client.post("/login", data={"login": who, "password": password, "csrf_token": csrf_token(client)})


def test_staff_sign_in_with_their_user_name(client, world):
    login(client, "t_coord_a")
    assert "t_coord_a" in client.get("/").get_data(as_text=True)


def test_a_worker_signs_in_with_id_number_lower_case_x_or_mobile(client, world):
    number = world.worker_a.id_number
    for login_name in (number, number.lower(), "13800000001", "+86 138 0000 0001"):
        c = client.application.test_client()
        response = _try(c, login_name, PASSWORD)
        assert response.status_code == 302, login_name
        assert "张伟" in c.get("/workers/me").get_data(as_text=True)


def test_a_wrong_password_re_renders_the_form_with_a_message(client, world):
    response = _try(client, "t_coord_a", "wrong-password1")
    assert response.status_code == 200
    assert "The login or the password is wrong." in response.get_data(as_text=True) or "错误" in response.get_data(
        as_text=True
    )
    assert client.get("/workers/").status_code == 302  # still signed out


def test_five_failures_a_minute_then_the_account_is_throttled(client, world):
    for _ in range(5):
        assert _try(client, "t_coord_a", "wrong-password1").status_code == 200
    assert _try(client, "t_coord_a", "wrong-password1").status_code == 429
    assert _try(client, "t_coord_a", PASSWORD).status_code == 429  # even the right one, for a minute
    # another account from the same address is not affected
    assert _try(client, "t_admin", PASSWORD).status_code == 302


def test_successful_sign_ins_do_not_count_towards_the_limit(client, world):
    for _ in range(7):
        c = client.application.test_client()
        assert _try(c, "t_admin", PASSWORD).status_code == 302


def test_an_inactive_account_cannot_sign_in(client, world):
    world.coord_a.active = False
    db.session.commit()
    assert _try(client, "t_coord_a", PASSWORD).status_code == 200


def test_sign_out(client, world):
    login(client, "t_admin")
    response = post(client, "/logout")
    assert response.status_code == 302
    assert client.get("/workers/").status_code == 302


def test_open_redirects_after_sign_in_are_refused(client, world):
    token = csrf_token(client)
    response = client.post(
        "/login?next=//evil.example/x", data={"login": "t_admin", "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


def test_forms_without_a_csrf_token_are_refused(client, world):
    response = client.post("/login", data={"login": "t_admin", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/workers/").status_code == 302
    login(client, "t_admin")
    assert client.post("/logout").status_code == 400


def test_the_language_choice_is_remembered_for_the_user(client, world):
    login(client, "t_coord_a")
    post(client, "/locale/en")
    assert db.session.get(User, world.coord_a.id).locale == "en"
    post(client, "/logout")
    fresh = client.application.test_client()
    login(fresh, "t_coord_a")
    assert "Workers" in fresh.get("/workers/").get_data(as_text=True)
