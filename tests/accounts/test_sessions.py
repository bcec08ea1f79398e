"""Signing out, a password change, a reset or a deactivation ends every session of the user,
remember-me cookies included; the calendar link changes with the password."""

import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

from app.accounts.models import User
from app.core.timeutil import utcnow
from app.extensions import db
from tests.factories import PASSWORD, csrf_token, login, post

NEW_PASSWORD = "N3w-password!"


def _signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def _copy_cookies(source, target):
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def _sign_in_remembered(client, who="t_coord_a"):
    response = client.post(
        "/login", data={"login": who, "password": PASSWORD, "remember": "y", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    return response


def test_a_session_cookie_replayed_after_sign_out_is_refused(client, world):
    login(client, "t_coord_a")
    stolen = client.application.test_client()
    _copy_cookies(client, stolen)
    assert _signed_in(stolen)
    post(client, "/logout")
    assert not _signed_in(client)
    assert not _signed_in(stolen)


def test_sign_out_ends_the_users_sessions_on_every_device(client, world):
    login(client, "t_coord_a")
    phone = client.application.test_client()
    login(phone, "t_coord_a")
    post(client, "/logout")
    assert not _signed_in(phone)


def test_the_remember_me_cookie_is_short_lived_lax_and_http_only(client, world):
    response = _sign_in_remembered(client)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert timedelta(days=13, hours=23) < expires - utcnow() <= timedelta(days=14)


def test_a_remember_me_cookie_does_not_survive_sign_out(client, world):
    _sign_in_remembered(client)
    remember = client.get_cookie("remember_token").value
    post(client, "/logout")
    replay = client.application.test_client()
    replay.set_cookie("remember_token", remember)
    assert not _signed_in(replay)


def test_a_remember_me_cookie_signs_in_until_something_ends_it(client, world):
    _sign_in_remembered(client)
    fresh = client.application.test_client()
    fresh.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert _signed_in(fresh)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(client, world):
    _sign_in_remembered(client)
    remembered_elsewhere = client.get_cookie("remember_token").value
    other = client.application.test_client()
    login(other, "t_coord_a")
    response = post(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(other)
    replay = client.application.test_client()
    replay.set_cookie("remember_token", remembered_elsewhere)
    assert not _signed_in(replay)
    # this browser's own remember-me cookie was renewed and still works
    renewed = client.application.test_client()
    renewed.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert _signed_in(renewed)


def test_an_admin_reset_ends_the_users_sessions(client, world):
    victim = client.application.test_client()
    login(victim, "t_coord_a")
    admin = client.application.test_client()
    login(admin, "t_admin")
    token = csrf_token(admin, f"/admin/users/{world.coord_a.id}")
    admin.post(
        f"/admin/users/{world.coord_a.id}/reset-password",
        data={"reset-temporary_password": "Temp0rary!", "reset-csrf_token": token, "csrf_token": token},
    )
    assert db.session.get(User, world.coord_a.id).must_change_password
    assert not _signed_in(victim)


def test_a_deactivated_and_reactivated_account_starts_again_signed_out(client, world):
    from app.accounts import services

    login(client, "t_coord_a")
    user = world.coord_a
    services.update_user(user, user.role, user.display_name, None, False, ["500103"], False, None)
    db.session.commit()
    services.update_user(user, user.role, user.display_name, None, True, ["500103"], False, None)
    db.session.commit()
    assert not _signed_in(client)


def _ics_url(client) -> str:
    page = client.get("/training/me").get_data(as_text=True)
    return re.search(r'value="http://localhost(/[^"]+\.ics)"', page).group(1)


def test_the_calendar_link_changes_with_the_password(client, world):
    login(client, "t_worker_a")
    old = _ics_url(client)
    assert client.get(old).status_code == 200
    post(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    new = _ics_url(client)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_the_calendar_link_survives_sign_out(client, world):
    login(client, "t_worker_a")
    url = _ics_url(client)
    post(client, "/logout")
    assert client.get(url).status_code == 200


def test_its_owner_can_reset_the_calendar_link(client, world):
    login(client, "t_worker_a")
    page = client.get("/training/me").get_data(as_text=True)
    old = _ics_url(client)
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*id="reset-calendar-link"', page).group(1)
    response = post(client, action, token_from="/training/me")
    assert response.status_code == 302
    new = _ics_url(client)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
