"""The admin's API clients pages: only admins; a token is shown once, kept only as its SHA-256;
revoking is a button (with CSRF); the audit log names the client's changes, never the token."""

import hashlib
import re
from datetime import timedelta

import sqlalchemy as sa

from app.api.models import ApiClient, ApiScope
from app.core.audit import AuditLog
from tests.factories import login, post


def _create(client, world, today, **fields):
    data = {"name": "财务系统", "scope": "read", "expires_on": (today + timedelta(days=30)).isoformat(), **fields}
    return post(client, "/api-clients/new", data, token_from="/api-clients/new")


def test_only_admins_reach_the_clients_pages(app, client, world):
    for user in (world.payroll_city, world.coord_city, world.worker_user):
        other = app.test_client()
        login(other, user.username)
        assert other.get("/api-clients/").status_code == 403
        assert other.get("/api-clients/new").status_code == 403
    assert client.get("/api/docs").status_code == 200  # the docs are for anyone
    login(client, world.admin.username)
    assert 'id="api-clients-link"' in client.get("/api-clients/").get_data(as_text=True)


def test_the_token_is_shown_once_and_kept_only_as_its_hash(client, db, world, today):
    login(client, world.admin.username)
    answer = _create(client, world, today, scope="read_returns", full_ids="y", districts=["500103"])
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    token = re.search(r'id="api-token">([^<]+)<', html).group(1)
    made = db.session.scalar(sa.select(ApiClient).where(ApiClient.name == "财务系统"))
    assert made.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (made.scope, made.full_ids, [d.code for d in made.districts]) == (ApiScope.read_returns, True, ["500103"])
    assert token not in client.get(f"/api-clients/{made.id}").get_data(as_text=True)
    assert token not in client.get("/api-clients/").get_data(as_text=True)
    entries = db.session.scalars(sa.select(AuditLog).where(AuditLog.entity_type == "api_client")).all()
    assert entries and all(token not in str(e.after) and made.token_hash not in str(e.after) for e in entries)
    assert client.get("/admin/audit/").status_code == 200


def test_a_name_taken_or_a_past_expiry_is_refused_beside_its_field(client, db, world, today):
    login(client, world.admin.username)
    assert _create(client, world, today).status_code == 200
    again = _create(client, world, today).get_data(as_text=True)
    assert "已有同名的客户端" in again and 'id="api-token"' not in again
    past = _create(client, world, today, name="other", expires_on=(today - timedelta(days=1)).isoformat())
    assert "有效期已过" in past.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiClient)) == 1


def test_revoking_needs_the_form_and_shows_the_client_revoked(client, db, world, today):
    login(client, world.admin.username)
    _create(client, world, today)
    made = db.session.scalar(sa.select(ApiClient))
    assert client.post(f"/api-clients/{made.id}/revoke").status_code == 400  # no CSRF token
    answer = post(client, f"/api-clients/{made.id}/revoke", token_from=f"/api-clients/{made.id}")
    assert answer.status_code == 302
    db.session.refresh(made)
    assert made.revoked_at is not None and made.revoked_by == world.admin.id
    page = client.get(f"/api-clients/{made.id}").get_data(as_text=True)
    assert "已吊销" in page and 'id="revoke-api-client"' not in page
    assert client.get("/api-clients/999999").status_code == 404
