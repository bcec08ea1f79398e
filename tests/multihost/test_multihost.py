"""Several hosts, proved on one machine (issue #13): the drill of scripts/multihost/ builds network
namespaces — db (its own PostgreSQL, Redis and an SMTP sink), web (gunicorn, beat), w1 and w2
(Celery workers) — computes a month from the web page on one host then two, kills w1 mid-run,
cuts w1's link mid-run, and sends 2,000 mails while w1 is cut off. Each month must equal the
single-host run line for line, each mail arrive (the one in flight at the cut may arrive twice).

Root only (ip netns); it runs in `make test`. Without root it is skipped; as root without
network namespaces, PostgreSQL's server or redis-server it fails when REQUIRE_SERVICES=1 and is
skipped otherwise. Self-contained (its own tag, subnet, database and broker), so it runs beside
any other test, under pytest-xdist too. About 3½ minutes on 2 cores at load 7."""

import glob
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.multihost.netns import destroy_tagged, ip
from tests import services

pytestmark = pytest.mark.no_db_transaction
ROOT = Path(__file__).resolve().parents[2]
WORKERS, MAILS = 3000, 2000
TIMEOUT = 360


def _require_hosts() -> None:
    if os.geteuid() != 0:
        pytest.skip("the multi-host drill needs root (ip netns, veth); run it as root or in CI")
    if not glob.glob("/usr/lib/postgresql/*/bin/postgres") or not shutil.which("redis-server"):
        services.missing("PostgreSQL's server binaries and redis-server (the db host runs its own)")
    probe = f"mhprobe{secrets.token_hex(3)}"
    try:
        ip("netns", "add", probe)
    except RuntimeError:
        services.missing("network namespaces (ip netns add)")
    ip("netns", "del", probe, check=False)


def _drill(tmp_path: Path, tag: str) -> dict:
    out = tmp_path / "summary.json"
    env = {k: v for k, v in os.environ.items() if k != "TEST_CLOCK"}  # the hosts live on the real clock
    argv = [sys.executable, "-m", "scripts.multihost.drill", "--workers", str(WORKERS), "--mails", str(MAILS)]
    drill = subprocess.Popen(
        [*argv, "--tag", tag, "--json", str(out)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        output, _ = drill.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        drill.terminate()  # the drill tears its hosts down on SIGTERM
        output, _ = drill.communicate(timeout=60)
        pytest.fail(f"the drill took over {TIMEOUT} s:\n{output.decode(errors='replace')[-4000:]}")
    if not out.exists():
        pytest.fail(f"the drill wrote no summary:\n{output.decode(errors='replace')[-4000:]}")
    summary = json.loads(out.read_text())
    summary["output"] = output.decode(errors="replace")
    return summary


def test_a_month_and_a_mail_batch_survive_a_worker_host_killed_or_cut_off(tmp_path):
    _require_hosts()
    tag = secrets.token_hex(3)
    try:
        summary = _drill(tmp_path, tag)
    finally:
        destroy_tagged(tag)  # the drill's own teardown did this, unless it was killed
    assert not summary.get("error"), summary["output"][-4000:]
    failed = [name for name, ok in summary["checks"].items() if not ok]
    assert failed == [], summary["output"][-4000:]
    reference = summary["reference"]
    assert summary["two_hosts"][0]["digest"] == reference
    assert min(summary["two_hosts"][0]["computed_by"].values()) > 0  # w1 and w2 both computed parts
    for drill in ("kill", "cut"):
        assert summary[drill]["digest"] == reference and summary[drill]["computed_by"]["w2"] > 0
    mail = summary["mail"]
    assert (mail["lost"], mail["distinct"], mail["unexpected"]) == (0, MAILS, 0)
    assert len(mail["doubled"]) <= mail["doubled_in_flight_at_cut"] <= 1
    assert ip("netns", "list", check=False).count(f"mh{tag}-") == 0  # nothing left behind
