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
