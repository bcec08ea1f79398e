"""Concurrent HTTP clients against a running server: each its own keep-alive connection and its
own cookies (its own signed-in session), all sending at once for a fixed time.

The standard library's http.client, no third-party load tool: a client thread sends a request,
reads the whole answer, checks it and sends the next one (a closed loop, like a person who
clicks again as soon as the page is there, only faster). The latency of a request is from
sending it to having read the last byte of its answer.
"""

import http.client
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Protocol
from urllib.parse import urlencode

from bench.timing import BenchError

CSRF = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')
# A keep-alive connection the server closed while idle (gunicorn's keepalive, a worker recycled
# after max_requests): the client opens a new one and sends the request again, as a browser does.
RECONNECT = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


class Client:
    """One user's browser: a connection, a cookie jar. The server sits behind a TLS proxy in
    production (cookies marked Secure); here the client speaks plain HTTP on the loopback and
    sends them anyway, as the proxy would pass them on."""

    def __init__(self, port: int, timeout: float = 120):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        headers = {"User-Agent": "socialwork-bench", "Accept-Encoding": "identity"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urlencode(form).encode() if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            response = self._send(method, path, body, headers)
        except RECONNECT:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            response = self._send(method, path, body, headers)
        data = response.read()
        self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
        return response.status, data

    def _send(self, method, path, body, headers) -> http.client.HTTPResponse:
        self.conn.request(method, path, body=body, headers=headers)
        return self.conn.getresponse()

    def _keep_cookies(self, values: list[str]) -> None:
        for value in values:
            jar = SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def sign_in(self, login: str, password: str) -> None:
        """The sign-in form as a person fills it in: GET /login (the CSRF token), POST it."""
        status, page = self.request("GET", "/login")
        token = CSRF.search(page)
        if status != 200 or token is None:
            raise BenchError(f"GET /login answered {status} without a CSRF token")
        status, _ = self.request(
            "POST", "/login", {"csrf_token": token.group(1).decode(), "login": login, "password": password}
        )
        if status != 302:
            raise BenchError(f"signing in as {login} answered {status}, not a redirect")

    def close(self) -> None:
        self.conn.close()


@dataclass
class Load:
    """What the clients measured in the window."""

    samples_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0  # from the start signal to the last answer
    client_cpu_s: float = 0.0  # CPU time of this process (the clients) in the window

    @property
    def per_second(self) -> float:
        return len(self.samples_ms) / self.seconds if self.seconds else 0.0


class Meter(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


def run_load(
    clients: list[Client],
    path_of: Callable[[int], str],
    check: Callable[[int, bytes], str],
    *,
    seconds: float,
    warmups: int,
    meter: Meter | None = None,
) -> Load:
    """Every client sends GET path_of(its index) `warmups` times unmeasured, then, all starting
    together, as many times as fit in `seconds`. check(status, body) returns what is wrong, or "".
    The meter, if any, is started as the clients start and stopped when the last one is done."""
    load = Load()
    lock = threading.Lock()
    ready = threading.Barrier(len(clients) + 1)
    go = threading.Event()
    window: dict[str, float] = {}

    def client_loop(n: int, client: Client) -> None:
        path = path_of(n)
        try:
            for _ in range(warmups):
                client.request("GET", path)
        finally:
            ready.wait()
        go.wait()
        mine, wrong = [], []
        while time.perf_counter() < window["end"]:
            start = time.perf_counter()
            try:
                status, body = client.request("GET", path)
                problem = check(status, body)
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            finished = time.perf_counter()
            (wrong if problem else mine).append(problem or (finished - start) * 1000)
            with lock:
                window["last"] = max(window.get("last", 0.0), finished)
        with lock:
            load.samples_ms.extend(mine)
            load.errors.extend(wrong)

    threads = [threading.Thread(target=client_loop, args=(n, c), daemon=True) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    ready.wait()
    if meter is not None:
        meter.start()
    cpu = time.process_time()
    window["start"] = time.perf_counter()
    window["end"] = window["start"] + seconds
    go.set()
    for t in threads:
        t.join()
    load.client_cpu_s = time.process_time() - cpu
    if meter is not None:
        meter.stop()
    load.seconds = window.get("last", window["start"]) - window["start"]
    return load
