"""The multihost scenario (issue #13): a month computed from the web page by Celery workers on one
worker host, then on two, alternated REPEAT times, on the hosts of scripts/multihost/ (network
namespaces: db with its own PostgreSQL and Redis, web, w1, w2, all on this machine's CPUs),
seeded with `flask seed-demo --workers N`. The wall time runs from Compute pressed until the run
is computed; every run's lines must equal the first's (SHA-256). Needs root: without it the
scenario reports nothing measured and says why."""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.scenario import PROJECT
from bench.timing import BenchError, Result

REPEAT = 3


def run(workers: int, workdir: Path) -> tuple[list[Result], list[str]]:
    if os.geteuid() != 0:
        note = "not measured: the worker hosts are network namespaces, which need root (sudo make bench)"
        return [Result("month compute, 1 and 2 worker hosts", None, "s", note=note)], [note]
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "drill.json"
    argv = ["-m", "scripts.multihost.drill", "--bench-only", "--workers", str(workers), "--repeat", str(REPEAT)]
    done = subprocess.run([sys.executable, *argv, "--json", str(out)], cwd=PROJECT, capture_output=True, text=True)
    if not out.exists():
        raise BenchError(f"the multihost drill wrote no summary:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    summary = json.loads(out.read_text())
    if not summary["ok"]:
        raise BenchError(f"the multihost drill: {summary.get('error') or summary['checks']}")
    one, two = summary["bench"]["one_host_seconds"], summary["bench"]["two_hosts_seconds"]
    reference = summary["reference"]
    split = ", ".join(str(r["computed_by"]) for r in summary["two_hosts"])
    notes = [
        f"hosts {summary['hosts']}; db runs its own PostgreSQL (fsync=off) and Redis; every host shares this"
        f" machine's {os.cpu_count()} CPUs; {summary['bench']['parts']} parts a month, one Celery process a host",
        f"1 host, each run: {one} s; 2 hosts, each run: {two} s (parts computed per host: {split})",
        f"every run's lines identical: {reference['lines']:,} lines, sha256 {reference['sha256'][:16]}…",
    ]
    median_one, median_two = statistics.median(one), statistics.median(two)
    results = [
        Result(f"month compute, 1 worker host (w2): wall time, median of {REPEAT}", median_one, "s"),
        Result(f"month compute, 2 worker hosts (w1, w2): wall time, median of {REPEAT}", median_two, "s"),
        Result("month compute: 1 host's time over 2 hosts'", round(median_one / median_two, 2), "×"),
    ]
    return results, notes
