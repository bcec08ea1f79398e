"""Security headers on every response, who the client is behind a proxy, and the one rule for
where the app may send a browser back to."""

from urllib.parse import urlsplit, urlunsplit

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import WSGIRequestHandler


def init_security(app: Flask) -> None:
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # The throttles key on the client's address: behind a proxy, read it from the proxy's headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    _quiet_development_server()

    @app.after_request
    def add_headers(response):
        h = response.headers
        h["Server"] = app.config.get("SERVER_HEADER", "")
        if not _is_static(request.endpoint):
            # Pages and exports carry personal data: no browser or proxy keeps a copy.
            h["Cache-Control"] = "no-store"
        if not app.config.get("SECURITY_HEADERS"):
            return response
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        if app.config.get("SESSION_COOKIE_SECURE"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def _is_static(endpoint: str | None) -> bool:
    return bool(endpoint) and endpoint.rsplit(".", 1)[-1] == "static"


def safe_redirect_target(target: str | None, fallback: str) -> str:
    """A path of this site taken from the request (`?next=`, the Referer), or the fallback.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    `/\\t/evil.example` would become `//evil.example`: any of them refuses the target.
    A full URL is accepted only when it names this very host (the Referer always is one).
    """
    if not target or any(ch.isspace() or ch == "\\" or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc) and (parts.scheme not in ("http", "https") or parts.netloc != request.host):
        return fallback
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return fallback
    return urlunsplit(("", "", parts.path, parts.query, ""))


def _quiet_development_server() -> None:
    """Werkzeug's server (what `flask run` and the Procfile use) writes `Server: Werkzeug/x
    Python/y` before the application's headers and has no setting for it: leave that line
    out, so the application's own Server header is the only one. gunicorn writes its own line
    likewise; its config file must set `gunicorn.SERVER` (see README, Security)."""

    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    WSGIRequestHandler.send_response = send_response
