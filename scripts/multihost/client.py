"""The operator's side: a browser that signs in and presses Compute over HTTP (the CSRF token taken
from the page, as a browser posts the form), and what the drills read back: a run's parts from
the database, a digest of its lines, which host computed which part (from the workers' logs)."""

import hashlib
import http.client
import json
import re
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa

from tests.allowance.snapshot import month_lines

CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')
# Celery's line for a finished task: "Task allowance.compute_part[<id>] succeeded in 0.52s: 611"
COMPUTED = re.compile(r"Task allowance\.compute_part\[[^\]]+\] succeeded in [^:]*: (\d+)")


class Browser:
    """Cookies kept by hand: production's session cookie is Secure, which a browser would send
    only over HTTPS (the TLS proxy in front of web, absent here)."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """(status, Location, body)."""
        headers = {"User-Agent": "multihost-drill", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            return response.status, response.getheader("Location") or "", response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def csrf_token(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        found = CSRF.search(page)
        if status != 200 or not found:
            raise RuntimeError(f"GET {path}: {status}, no CSRF token on the page")
        return found.group(1) or found.group(2)

    def sign_in(self, username: str, password: str) -> None:
        token = self.csrf_token("/login")
        status, location, _ = self.request(
            "POST", "/login", {"csrf_token": token, "login": username, "password": password}
        )
        if status != 302 or "/login" in location:
            raise RuntimeError(f"signing in as {username}: {status} {location}")

    def compute(self, month: str) -> None:
        """The runs page's form: its CSRF token and the month, posted to /allowance/compute."""
        token = self.csrf_token("/allowance/")
        status, location, _ = self.request("POST", "/allowance/compute", {"csrf_token": token, "month": month})
        if status != 302 or not location.endswith(f"/allowance/runs/{month}"):
            raise RuntimeError(f"Compute {month}: {status} {location}")


def month_first(month: str) -> date:
    return date.fromisoformat(f"{month}-01")


def parts(engine: sa.Engine, month: str) -> dict:
    """The run of `month`: parts done of all, whether it is computed, attempts over its parts."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT count(*) FILTER (WHERE p.done), count(*), bool_or(r.computed_at IS NOT NULL),"
                " coalesce(sum(p.attempts), 0), count(*) FILTER (WHERE p.lines > 0)"
                " FROM allowance_run r JOIN allowance_run_part p ON p.run_id = r.id WHERE r.month = :m"
            ),
            {"m": month_first(month)},
        ).one()
    return {"done": row[0], "total": row[1], "finished": bool(row[2]), "attempts": row[3], "with_lines": row[4]}


def digest(app, month: str) -> dict:
    """The month's lines as the Celery tests compare them (tests/allowance/snapshot.py), hashed."""
    lines = month_lines(app, month_first(month))
    text = json.dumps([[str(v) for v in line] for line in lines], ensure_ascii=False)
    return {"lines": len(lines), "sha256": hashlib.sha256(text.encode()).hexdigest()}


def log_offset(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def computed_parts(log: Path, since: int = 0) -> int:
    """Parts this worker computed (lines written, not a copy that found its part done) since `since`."""
    if not log.exists():
        return 0
    with open(log, "rb") as f:
        f.seek(since)
        text = f.read().decode("utf-8", "replace")
    return sum(int(n) > 0 for n in COMPUTED.findall(text))
