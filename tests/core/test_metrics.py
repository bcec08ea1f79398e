"""/metrics: Prometheus text, only for a token or an allowed address; requests by route, tasks
by name, queue lengths on Redis, and the domains' gauges (issue #13, Metrics)."""

import os
import socket
import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from app.core.access import Role
from app.core.metrics import clear_multiprocess_dir
from tests import factories as f
from tests import services
from tests.allowance.test_runs import close, run_month

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


def scrape(client, **kwargs) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of one scrape."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# ---- who may read it ----


def test_the_loopback_may_read_it_without_a_token(client):
    assert client.get("/metrics").status_code == 200


def test_another_address_gets_404(client):
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404


def test_a_token_lets_any_address_in_and_a_wrong_one_is_403(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-for-the-scraper")
    ok = client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer s3cret-for-the-scraper"})
    assert ok.status_code == 200
    wrong = client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 403
    # a wrong token is refused even from an allowed address: whoever sent it meant to use it
    assert client.get("/metrics", headers={"Authorization": "Bearer guess"}).status_code == 403


def test_no_token_configured_means_no_token_works(client):
    assert client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer "}).status_code == 403


def test_the_allow_list_takes_networks(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_ALLOW", "10.0.0.0/8, 192.0.2.7")
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    assert client.get("/metrics").status_code == 404  # the loopback is no longer listed
    monkeypatch.setitem(app.config, "METRICS_ALLOW", "")
    assert client.get("/metrics").status_code == 404


def test_a_bad_allow_list_stops_the_start_with_its_reason(app):
    with pytest.raises(RuntimeError, match="METRICS_ALLOW: 'localhost'"):
        create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], METRICS_ALLOW="localhost")


def test_a_request_through_an_untrusted_proxy_is_not_let_in_by_the_proxys_address(client):
    # nginx on the same host: the address is 127.0.0.1, the client is someone on the internet
    assert client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.4"}).status_code == 404


# ---- what it counts ----


def test_requests_are_counted_by_route_method_and_status_never_by_path(client, world):
    before = scrape(client)
    client.get("/login")
    client.get("/login")
    client.get(f"/workers/{world.worker_a.id}")  # anonymous: a redirect to sign in
    client.get("/no/such/page/13800000001")
    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("socialwork_http_requests_total", route="accounts.login", method="GET", status="200") == 2
    assert (
        grew("socialwork_http_request_duration_seconds_count", route="accounts.login", method="GET", status="200") == 2
    )
    assert grew("socialwork_http_requests_total", route="workers.worker_detail", method="GET", status="302") == 1
    assert grew("socialwork_http_requests_total", route="unmatched", method="GET", status="404") == 1
    text = client.get("/metrics").get_data(as_text=True)
    assert "/no/such/page" not in text and "13800000001" not in text and f"/workers/{world.worker_a.id}" not in text


def test_an_odd_method_is_counted_as_other_and_unrouted(client):
    before = scrape(client)
    client.open("/login", method="BREW")
    after = scrape(client)
    key = ("socialwork_http_requests_total", (("method", "other"), ("route", "unmatched"), ("status", "405")))
    assert after.get(key, 0) - before.get(key, 0) == 1


@pytest.fixture(scope="module")
def tasks(app):
    celery = app.extensions["celery"]

    @celery.task(name="tests.metrics_ok", shared=False)
    def ok():
        return "done"

    @celery.task(name="tests.metrics_boom", shared=False)
    def boom():
        raise RuntimeError("boom")

    return ok, boom


def test_tasks_are_counted_by_name_outcome_and_failures(client, tasks):
    ok, boom = tasks
    before = scrape(client)
    ok.delay()
    ok.delay()
    assert boom.apply(throw=False).state == "FAILURE"  # as in a worker: the error is recorded, not raised
    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("socialwork_celery_tasks_total", task="tests.metrics_ok", outcome="SUCCESS") == 2
    assert grew("socialwork_celery_task_duration_seconds_count", task="tests.metrics_ok") == 2
    assert grew("socialwork_celery_tasks_total", task="tests.metrics_boom", outcome="FAILURE") == 1
    assert grew("socialwork_celery_task_failures_total", task="tests.metrics_boom") == 1
    assert grew("socialwork_celery_task_failures_total", task="tests.metrics_ok") == 0


def test_deliveries_import_jobs_and_the_last_locked_month(client, app_ctx):
    samples = scrape(client)
    for state in ("pending", "sent", "failed", "skipped"):
        for channel in ("mail", "sms"):
            assert ("socialwork_deliveries", (("channel", channel), ("state", state))) in samples
    for state in ("queued", "running", "done", "failed"):
        assert ("socialwork_import_jobs", (("state", state),)) in samples
    assert value(samples, "socialwork_allowance_last_locked_month") == 0

    class People:
        payroll1 = f.user(Role.payroll, "m_pay1", city_wide=True)
        payroll2 = f.user(Role.payroll, "m_pay2", city_wide=True)

    f.worker(f.community("500103"), start=date(2020, 1, 1))
    for month in ("2026-03", "2026-04"):
        close(run_month(month), People)
    samples = scrape(client)
    assert value(samples, "socialwork_allowance_last_locked_month") == 202604
    assert value(samples, "socialwork_allowance_last_locked_timestamp_seconds") > 0


def test_a_broken_gauge_costs_only_itself(client, monkeypatch):
    from app.core import metrics  # the registry itself, to add a gauge that fails

    def broken():
        raise RuntimeError("the table is not there")

    monkeypatch.setitem(metrics._GAUGES, "socialwork_broken", metrics._Gauge("socialwork_broken", "x", broken))
    samples = scrape(client)
    assert ("socialwork_broken", ()) not in samples
    assert ("socialwork_allowance_last_locked_month", ()) in samples


# ---- queue lengths on Redis ----


@pytest.fixture
def redis_broker(app, monkeypatch):
    if not services.redis_available():
        services.missing("Redis")
    celery = app.extensions["celery"]
    queue = f"metrics-test-{os.getpid()}"
    monkeypatch.setitem(celery.conf, "broker_url", services.REDIS_URL)
    monkeypatch.setitem(celery.conf, "task_default_queue", queue)
    client = redis.Redis.from_url(services.REDIS_URL)
    yield client, queue
    client.delete(queue)
    client.close()


def test_queue_lengths_are_read_from_redis(client, redis_broker):
    broker, queue = redis_broker
    broker.delete(queue)
    broker.lpush(queue, "a", "b", "c")
    samples = scrape(client)
    assert value(samples, "socialwork_broker_up") == 1
    assert value(samples, "socialwork_celery_queue_length", queue=queue) == 3


def test_a_dead_broker_is_a_zero_not_an_error(app, client, monkeypatch):
    monkeypatch.setitem(app.extensions["celery"].conf, "broker_url", "redis://127.0.0.1:1/0")
    samples = scrape(client)
    assert value(samples, "socialwork_broker_up") == 0
    assert ("socialwork_celery_queue_length", (("queue", "celery"),)) not in samples


def test_the_embedded_broker_has_no_queue_lengths(app, client, monkeypatch):
    monkeypatch.setitem(app.extensions["celery"].conf, "broker_url", "sqla+sqlite:////tmp/nothing.sqlite")
    samples = scrape(client)
    assert not [key for key in samples if key[0] in ("socialwork_broker_up", "socialwork_celery_queue_length")]


def test_queue_names_come_from_the_default_the_declared_queues_and_the_routes():
    from kombu import Queue  # only this test builds Celery's queue objects

    from app.core.metrics import queue_names

    class Conf:
        task_default_queue = "default"
        task_queues = (Queue("compute"), Queue("imports"))
        task_routes = {"allowance.*": {"queue": "compute"}, "reminders.send": {"queue": "mail"}}

    assert queue_names(Conf) == ["compute", "default", "imports", "mail"]


# ---- several processes ----

_COUNT = "from app.core import metrics; metrics.REQUESTS.labels('main.home', 'GET', '200').inc({n})"
_READ = "from app.core import metrics; from prometheus_client import generate_latest; " + (
    "print(generate_latest(metrics.process_registry()).decode())"
)


def test_multiprocess_mode_adds_up_the_counts_of_every_process_and_a_start_wipes_them(tmp_path, monkeypatch):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in (2, 3):
        subprocess.run([sys.executable, "-c", _COUNT.format(n=n)], cwd=ROOT, env=env, check=True)
    out = subprocess.run([sys.executable, "-c", _READ], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(out.stdout)
        for s in family.samples
    }
    key = ("socialwork_http_requests_total", (("method", "GET"), ("route", "main.home"), ("status", "200")))
    assert samples[key] == 5

    (tmp_path / "notes.txt").write_text("not a count file")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert clear_multiprocess_dir() and [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_celery_worker_serves_its_own_counts_on_celery_metrics_port(monkeypatch, tasks):
    from app.core.metrics import serve_worker_metrics  # the worker's side, started by worker_init

    monkeypatch.delenv("CELERY_METRICS_PORT", raising=False)
    assert serve_worker_metrics() is None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CELERY_METRICS_PORT", str(port))
    ok, _boom = tasks
    ok.delay()
    server = serve_worker_metrics()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert 'socialwork_celery_tasks_total{outcome="SUCCESS",task="tests.metrics_ok"}' in text
