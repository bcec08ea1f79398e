from app import create_app


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_production_cookies_are_secure_and_a_secret_is_required(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.internal/socialwork")
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    app = create_app(
        "production", SECRET_KEY="from-the-environment", SQLALCHEMY_DATABASE_URI="postgresql://db.internal/socialwork"
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"]


def test_production_refuses_to_start_without_a_secret():
    import pytest

    with pytest.raises(RuntimeError):
        create_app("production", SECRET_KEY="")


def test_unknown_pages_are_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and 'id="error-message"' in response.get_data(as_text=True)


def test_pages_and_exports_of_a_signed_in_user_are_never_stored(client, world):
    from tests.factories import login

    login(client, "t_coord_a")
    for url in ("/", "/workers/", "/workers/export.xlsx", "/workers/export.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers.get("Cache-Control", ""), url


def test_static_files_stay_cacheable(client):
    from pathlib import Path

    name = sorted(p.name for p in (Path(client.application.static_folder) / "css").iterdir())[0]
    response = client.get(f"/static/css/{name}")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_the_server_header_names_no_framework_or_version(app):
    """Through Werkzeug's own server, which writes a Server line of its own."""
    import http.client
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/login")
        response = conn.getresponse()
        response.read()
        values = response.headers.get_all("Server") or []
        conn.close()
    finally:
        server.shutdown()
        thread.join(5)
    assert len(values) <= 1
    for value in values:
        assert "werkzeug" not in value.lower() and "python" not in value.lower()
        assert not any(ch.isdigit() for ch in value)


def test_behind_a_trusted_proxy_the_client_address_comes_from_the_proxy(app):
    """Otherwise every client would share the proxy's address, and its sign-in throttle."""
    from flask import request

    behind = create_app("testing", TRUSTED_PROXIES=1, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    behind.add_url_rule("/whoami", "whoami", lambda: request.remote_addr)
    response = behind.test_client().get("/whoami", headers={"X-Forwarded-For": "198.51.100.4"})
    assert response.get_data(as_text=True) == "198.51.100.4"
    app.extensions["celery"].set_default()
