"""Prometheus metrics at /metrics (text format), for a scraper the district's IT office runs.

Who may read it: a request with `Authorization: Bearer <METRICS_TOKEN>` (when METRICS_TOKEN is
set), or one from an address in METRICS_ALLOW (addresses or networks, comma separated; default
the loopback; empty: none). Anyone else gets 404 (403 when they sent a token that is wrong).
Behind a reverse proxy set TRUSTED_PROXIES: until then a request that came through a proxy
(it carries X-Forwarded-For) is never let in by its address, which would be the proxy's.

What it counts, in the process that did the work:
- socialwork_http_requests_total / _request_duration_seconds: by route (the endpoint, never
  the path: paths hold ids), method and status;
- socialwork_celery_tasks_total (by task name and outcome), _task_duration_seconds,
  _task_failures_total;
and what it reads at each scrape: the length of each Celery queue when the broker is Redis,
import jobs by state, and the gauges the factory registers for the domains (register_gauge):
core imports no domain.

Several processes: set PROMETHEUS_MULTIPROC_DIR (an existing, empty directory; one per service,
never shared between gunicorn and a Celery worker) in the service's environment. prometheus-client
then keeps each process's counts in a file there and a scrape adds them up; without it each
process counts alone and a scrape sees one gunicorn worker's counts. The service wipes it when it
starts (clear_multiprocess_dir(): gunicorn's on_starting hook; a Celery worker in worker_init).
- gunicorn: /metrics shows the requests of every worker process, and what is read at the scrape.
- Celery worker: its task counts are in the worker's processes, not the web's. With
  CELERY_METRICS_PORT set, the worker's main process serves them (every prefork child's, with
  PROMETHEUS_MULTIPROC_DIR) on CELERY_METRICS_ADDR (loopback by default: open it to the
  scraper only, by a firewall or a proxy). In tests tasks run eagerly and /metrics shows them.
"""

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import redis
import sqlalchemy as sa
from celery import signals
from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import REGISTRY

from app.core.importing import ImportJob, JobState
from app.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_TASK_BUCKETS = (0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "socialwork_http_requests", "Requests answered, by route, method and status.", ["route", "method", "status"]
)
REQUEST_SECONDS = Histogram(
    "socialwork_http_request_duration_seconds",
    "Time to answer a request, by route, method and status.",
    ["route", "method", "status"],
    buckets=_LATENCY_BUCKETS,
)
TASKS = Counter("socialwork_celery_tasks", "Celery tasks run, by task name and outcome.", ["task", "outcome"])
TASK_SECONDS = Histogram(
    "socialwork_celery_task_duration_seconds", "Time a Celery task ran, by task name.", ["task"], buckets=_TASK_BUCKETS
)
TASK_FAILURES = Counter("socialwork_celery_task_failures", "Celery tasks that raised, by task name.", ["task"])


# ---- gauges read at each scrape, registered by whoever knows the data (the factory) ----

# A reading: one number, or numbers by label value(s); None leaves the gauge out of this scrape.
Reading = float | Mapping[str | tuple[str, ...], float] | None


@dataclass(frozen=True)
class _Gauge:
    name: str
    help: str
    read: Callable[[], Reading]
    labels: tuple[str, ...] = ()


_GAUGES: dict[str, _Gauge] = {}


def register_gauge(name: str, help_text: str, read: Callable[[], Reading], labels: tuple[str, ...] = ()) -> None:
    """A gauge read from the database (or anywhere) at each scrape; registering a name again
    replaces it (every app built in one process registers the same ones)."""
    _GAUGES[name] = _Gauge(name, help_text, read, tuple(labels))


def _family(gauge: _Gauge, reading: Reading) -> GaugeMetricFamily:
    if not isinstance(reading, Mapping):
        return GaugeMetricFamily(gauge.name, gauge.help, value=reading)
    family = GaugeMetricFamily(gauge.name, gauge.help, labels=gauge.labels)
    for key, value in sorted(reading.items()):
        family.add_metric(list(key) if isinstance(key, tuple) else [key], value)
    return family


class _ScrapeTimeCollector:
    """What is read when /metrics is asked: queue lengths and the registered gauges."""

    def collect(self):
        yield from queue_lengths()
        for gauge in list(_GAUGES.values()):
            try:
                reading = gauge.read()
            except Exception:  # one broken reading must not cost the scraper every other one
                log.warning("metrics: the gauge %s could not be read", gauge.name, exc_info=True)
                db.session.rollback()
                continue
            if reading is not None:
                yield _family(gauge, reading)


def import_jobs_by_state() -> dict[str, int]:
    rows = db.session.execute(sa.select(ImportJob.state, sa.func.count()).group_by(ImportJob.state))
    counts = {state.value: 0 for state in JobState}
    counts.update({state.value: n for state, n in rows})
    return counts


# ---- Celery's queues, when the broker is Redis (each queue is a list named after it) ----


def queue_names(conf) -> list[str]:
    """The default queue, the declared queues and the queues the routes name."""
    names = [conf.task_default_queue or "celery"]
    names += [getattr(q, "name", q) for q in (conf.task_queues or ())]
    routes = conf.task_routes if isinstance(conf.task_routes, Mapping) else {}
    names += [route["queue"] for route in routes.values() if isinstance(route, Mapping) and "queue" in route]
    return sorted(set(names))


def queue_lengths():
    celery = current_app.extensions.get("celery")
    url = (celery.conf.broker_url or "") if celery else ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return  # the embedded broker (SQLite) is not measured
    up = GaugeMetricFamily("socialwork_broker_up", "1 when the Redis broker answered this scrape.")
    lengths = GaugeMetricFamily("socialwork_celery_queue_length", "Messages waiting in a queue.", labels=["queue"])
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        for name in queue_names(celery.conf):
            lengths.add_metric([name], client.llen(name))
    except redis.RedisError:
        log.warning("metrics: the Redis broker does not answer", exc_info=True)
        up.add_metric([], 0)
        yield up
        return
    finally:
        client.close()
    up.add_metric([], 1)
    yield up
    yield lengths


# ---- who may read /metrics ----


def _allowed_networks(setting: str) -> list:
    networks = []
    for item in (part.strip() for part in setting.split(",")):
        if item:
            networks.append(ipaddress.ip_network(item, strict=False))
    return networks


def _address_allowed() -> bool:
    if request.headers.get("X-Forwarded-For") and not current_app.config.get("TRUSTED_PROXIES"):
        return False  # the address is the proxy's, not the client's
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in _allowed_networks(current_app.config.get("METRICS_ALLOW", "")))


def _check_access() -> None:
    token = current_app.config.get("METRICS_TOKEN") or ""
    sent = request.headers.get("Authorization", "")
    if sent.startswith("Bearer "):
        if token and hmac.compare_digest(sent[len("Bearer ") :].encode(), token.encode()):
            return
        abort(403)
    if not _address_allowed():
        abort(404)


@bp.get("/metrics")
def metrics():
    _check_access()
    return Response(generate_latest(scrape_registry()), mimetype=CONTENT_TYPE_PLAIN_0_0_4)


class _ThisProcess:
    """The default registry's metrics (this process's counts, and the process collectors)."""

    def collect(self):
        return REGISTRY.collect()


def process_registry() -> CollectorRegistry:
    """The counts of every process (multiprocess mode) or of this one."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    return registry


def scrape_registry() -> CollectorRegistry:
    registry = process_registry()
    registry.register(_ScrapeTimeCollector())
    return registry


# ---- counting requests and tasks ----


def _start_request() -> None:
    g.metrics_started = time.perf_counter()


def _count_request(response):
    method = request.method if request.method in _METHODS else "other"
    labels = (request.endpoint or "unmatched", method, str(response.status_code))
    REQUESTS.labels(*labels).inc()
    started = g.get("metrics_started")
    if started is not None:
        REQUEST_SECONDS.labels(*labels).observe(time.perf_counter() - started)
    return response


_task_started: dict[str, float] = {}


def _task_prerun(task_id=None, **_kwargs) -> None:
    _task_started[task_id] = time.perf_counter()


def _task_postrun(task_id=None, task=None, state=None, **_kwargs) -> None:
    started = _task_started.pop(task_id, None)
    TASKS.labels(task.name, state or "unknown").inc()
    if started is not None:
        TASK_SECONDS.labels(task.name).observe(time.perf_counter() - started)


def _task_failure(sender=None, **_kwargs) -> None:
    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


def clear_multiprocess_dir() -> list[str]:
    """Delete the count files of an earlier run from PROMETHEUS_MULTIPROC_DIR; call it in the
    service's first process before any other starts counting. Returns the names deleted."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder or not os.path.isdir(folder):
        return []
    removed = sorted(name for name in os.listdir(folder) if name.endswith(".db"))
    for name in removed:
        os.remove(os.path.join(folder, name))
    return removed


def serve_worker_metrics(**_kwargs):
    """A Celery worker's own metrics port (CELERY_METRICS_PORT), started in the worker's main
    process before its pool; returns the server (None when no port is set)."""
    port = os.environ.get("CELERY_METRICS_PORT")
    if not port:
        return None
    clear_multiprocess_dir()
    address = os.environ.get("CELERY_METRICS_ADDR", "127.0.0.1")
    server, _thread = start_http_server(int(port), addr=address, registry=process_registry())
    return server


def init_metrics(app: Flask) -> None:
    try:
        _allowed_networks(app.config.get("METRICS_ALLOW", ""))
    except ValueError as exc:
        raise RuntimeError(f"METRICS_ALLOW: {exc} (addresses or networks, comma separated)") from exc
    # first of the before_request functions, so a request another one refuses is timed too
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_count_request)
    app.register_blueprint(bp)
    register_gauge("socialwork_import_jobs", "Import jobs by state.", import_jobs_by_state, ("state",))
    uid = "app.core.metrics"
    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid=uid)
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid=uid)
    signals.task_failure.connect(_task_failure, weak=False, dispatch_uid=uid)
    signals.worker_init.connect(serve_worker_metrics, weak=False, dispatch_uid=uid)
