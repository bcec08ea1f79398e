"""Logs: one JSON object per line on stdout, a request id that follows the work, no ID number
or mobile in any line."""

import json
import logging
import os
import threading
import time

import pytest

from tests import services
from tests.factories import login


@pytest.fixture(autouse=True)
def _info_lines():
    """The suite writes WARNING and above (TestingConfig); these tests read the INFO lines."""
    from app.core.logs import configure_logging

    root = logging.getLogger()
    level = root.level
    # An earlier test in the same process may have run a logging setup of its own (alembic's
    # fileConfig, a worker's): start from the app's, as a process that serves requests does.
    configure_logging(logging.INFO)
    for name in ("app.request", "app.task"):
        logging.getLogger(name).disabled = False
    yield
    root.setLevel(level)


def _lines(capsys) -> list[dict]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _request_lines(capsys) -> list[dict]:
    return [line for line in _lines(capsys) if line["logger"] == "app.request"]


def test_every_request_is_one_json_line_with_its_route_status_user_and_duration(client, world, capsys):
    login(client, "t_coord_a")
    capsys.readouterr()
    client.get("/workers/")
    client.get("/no/such/page")
    first, second = _request_lines(capsys)
    assert first["route"] == "workers.worker_list" and first["status"] == 200
    assert first["user_id"] == world.coord_a.id and first["method"] == "GET"
    assert isinstance(first["duration_ms"], float) and first["level"] == "INFO" and first["time"]
    assert second["route"] is None and second["status"] == 404


def test_the_request_id_is_taken_from_the_caller_when_it_looks_sane(client, capsys):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21"})
    assert response.headers["X-Request-ID"] == "lb-7f3a9c21"
    assert _request_lines(capsys)[0]["request_id"] == "lb-7f3a9c21"


@pytest.mark.parametrize("incoming", ["", "short", "has space in it", "x" * 65, '{"json":1}'])
def test_an_odd_request_id_is_replaced_by_a_new_one(client, capsys, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    generated = response.headers["X-Request-ID"]
    assert generated and generated != incoming
    assert _request_lines(capsys)[0]["request_id"] == generated


def test_two_requests_have_two_ids(client):
    assert client.get("/healthz").headers["X-Request-ID"] != client.get("/healthz").headers["X-Request-ID"]


def test_no_id_number_or_mobile_reaches_a_log_line(client, world, capsys):
    number, mobile = world.worker_a.id_number, world.worker_a.phone
    login(client, "t_coord_a")
    # searches, a path and a sign-in attempt that carry them, and a line that names them
    client.get(f"/workers/?q={number}")
    client.get(f"/workers/?q={mobile}")
    client.get(f"/workers/?q=%20{mobile}")
    client.get(f"/workers/{number}")
    client.get(f"/lookup/{mobile}/{number.lower()}")
    client.post("/login", data={"login": number, "password": "wrong"})
    logging.getLogger("app.test").warning("worker %s, mobile +86%s", number, mobile)
    try:
        raise ValueError(f"no worker {number} / {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}")
    except ValueError:
        logging.getLogger("app.test").exception("lookup failed")

    out = capsys.readouterr().out
    assert out.count("\n") >= 8
    assert number not in out and number.lower() not in out
    assert mobile not in out and f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}" not in out
    assert f"{number[:6]}********{number[-4:]}" in out  # masked as the lists mask it
    assert f"{mobile[:3]}****{mobile[-4:]}" in out


def test_a_task_run_during_a_request_logs_its_outcome_under_the_request_id(app, capsys):
    from app.core.tasks import purge_old_uploads

    with app.test_request_context(headers={"X-Request-ID": "trace-eager-1"}):
        app.preprocess_request()
        purge_old_uploads.delay()
    (line,) = [line for line in _lines(capsys) if line["logger"] == "app.task"]
    assert line["task"] == "core.purge_old_uploads" and line["outcome"] == "SUCCESS"
    assert line["request_id"] == "trace-eager-1" and line["task_id"] and "duration_ms" in line


def test_a_real_worker_logs_the_task_under_the_id_of_the_request_that_queued_it(app, tmp_path):
    if not services.redis_available():
        services.missing("Redis")
    from app import create_app
    from app.core.tasks import purge_old_uploads

    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": services.REDIS_URL,
        "INSTANCE_PATH": str(tmp_path),
        "APP_CONFIG": "development",
    }
    worker = services.start_celery_worker(env, "logs", capture=True, loglevel="INFO")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(worker.stdout.readline, b"")), daemon=True)
    reader.start()
    try:
        celery = {
            **app.config["CELERY"],
            "broker_url": services.REDIS_URL,
            "task_always_eager": False,
            "task_default_queue": services.QUEUE,
        }
        web = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], CELERY=celery)
        with web.test_request_context(headers={"X-Request-ID": "trace-worker-1"}):
            web.preprocess_request()
            task_id = purge_old_uploads.delay().id
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(b'"app.task"' in line for line in lines):
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        reader.join(timeout=10)
    # Celery's own lines are JSON too (only its start-up banner is not a log line)
    output = [json.loads(line) for line in lines if line.startswith(b"{")]
    assert any(line["logger"].startswith("celery.") for line in output), b"".join(lines)[-2000:]
    (task,) = [line for line in output if line["logger"] == "app.task"]
    assert task["task_id"] == task_id and task["task"] == "core.purge_old_uploads"
    assert task["outcome"] == "SUCCESS" and task["request_id"] == "trace-worker-1"


def test_a_duration_with_many_decimals_is_not_taken_for_an_id_number(capsys):
    """Celery logs "succeeded in 0.058704371212963506s": a run of 18 digits, but decimals."""
    logging.getLogger("app.test").warning("Task x succeeded in %ss: None", "0.058704371212963506")
    logging.getLogger("app.test").warning("card 6222021234567890123, id 50010319970210049X")
    out = capsys.readouterr().out
    assert "succeeded in 0.058704371212963506s" in out
    assert "6222021234567890123" not in out and "50010319970210049X" not in out
