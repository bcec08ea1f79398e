"""gunicorn's settings: `gunicorn -c gunicorn.conf.py wsgi:app` (the Procfile's `web` line).

Every number can be changed from the environment without editing this file (README,
"Environment variables"). gthread: each process serves several requests at once on threads,
which suits pages that mostly wait on PostgreSQL.
"""

import os

import gunicorn.http.wsgi

from app.core.logs import gunicorn_logconfig
from config import Config


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


_cpus = os.cpu_count() or 1

bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"
worker_class = "gthread"
# Python runs one thread at a time per process: a process per core uses the CPUs, and the
# threads cover the time a request waits on the database.
workers = _int("WEB_CONCURRENCY", max(2, _cpus))
threads = _int("WEB_THREADS", 2)
# A worker process that stops answering its master this long (hung) is killed and replaced.
# With threads this does not bound a single request: a long export runs to its end.
timeout = _int("WEB_TIMEOUT", 60)
# On SIGTERM / SIGHUP (reload) a worker finishes the requests it has before it stops.
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)
# A process takes no more connections than it has threads, and a connection serves one request
# (the reverse proxy keeps the browsers' connections open, not gunicorn): a busy process leaves
# new connections in the listen queue for one with a free thread. With keep-alive, a browser's
# connection stays with the process that accepted it, and under load one process may serve 12
# people while the other serves 8, the 12 waiting half as long again (measured: README,
# "Production benchmark").
worker_connections = _int("WEB_CONNECTIONS", threads)
keepalive = _int("WEB_KEEPALIVE", 0)
# A worker is replaced after about this many requests (a guard against a slow leak); the jitter
# keeps them from all restarting at once. A new worker loads the application again (about 2 s of
# CPU on a small server, its requests waiting meanwhile): every 2,000 requests cost one process
# in 20 under load, so the default is 10,000.
max_requests = _int("WEB_MAX_REQUESTS", 10000)
max_requests_jitter = _int("WEB_MAX_REQUESTS_JITTER", 1000)
# The application writes one JSON line per request (app/core/logs.py); gunicorn's own access
# log would repeat it, in another format and with the query string (which may hold an ID number).
accesslog = None
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn's own lines (start, worker boots and deaths) as JSON on stdout, like the app's.
logconfig_dict = gunicorn_logconfig(loglevel)
# The addresses whose X-Forwarded-Proto gunicorn itself believes; the app's ProxyFix
# (TRUSTED_PROXIES) is what reads X-Forwarded-For for the client's address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# No control socket: gunicornc is not used (signals reload and stop), and its default path in
# $HOME would be shared by every gunicorn of the user on the machine.
control_socket_disable = True

# gunicorn drops the application's Server header (it counts it as its own) and writes
# `Server: gunicorn`: have it write the site's name instead, as the app does under Werkzeug.
gunicorn.http.wsgi.SERVER = getattr(Config, "SERVER_HEADER", "socialwork")


def on_starting(_server) -> None:
    """In the master, before any worker counts: wipe the metrics count files of the last run
    (PROMETHEUS_MULTIPROC_DIR), or /metrics would add yesterday's requests to today's."""
    from app.core.metrics import clear_multiprocess_dir  # the master loads the app's code only when it starts

    clear_multiprocess_dir()


def child_exit(_server, worker) -> None:
    """A worker process that ends leaves its live gauges behind: mark them dead."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # only in multiprocess mode

        multiprocess.mark_process_dead(worker.pid)
