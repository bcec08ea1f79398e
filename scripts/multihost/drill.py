"""`sudo .venv/bin/python -m scripts.multihost.drill [--workers 20000] [--mails 2000] [--repeat 1]`

Builds the hosts (scripts/multihost/netns.py), migrates and seeds db from web, signs in as
payroll1 over HTTP and computes the month before this one:
  1. on w2 alone (the single-host reference: its lines' digest, and the 1-host wall time);
  2. on w1 and w2 (the same digest; both hosts computed parts; the 2-host wall time);
  3. drill A: every process on w1 killed mid-run; 4. drill B: w1's link cut mid-run — each
     time the month completes on w2 with the reference's lines;
  5. `--mails` mails to the SMTP sink on db while w1 is cut off: none lost, none doubled.
Prints a summary (and writes it as JSON with --json); exit status 0 when every check held,
1 when one did not, 2 when the drill could not run. Everything is torn down at the end, also
on failure or Ctrl-C.
"""

import argparse
import atexit
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from scripts.multihost import client, drills, hosts
from scripts.multihost.netns import Topology

DEMO_PASSWORD = "Demo2026!"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.multihost.drill", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=20_000, help="workers seeded by seed-demo (default 20000)")
    parser.add_argument("--mails", type=int, default=2_000, help="mails sent during the partition (default 2000)")
    parser.add_argument(
        "--month", default=None, help="the month computed, YYYY-MM (default: the month before this one)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="bench: times the 1-host and 2-host runs are alternated")
    parser.add_argument("--bench-only", action="store_true", help="the 1-host and 2-host runs only, no drills")
    parser.add_argument("--json", default=None, help="write the summary here")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (logs, data) and print where")
    parser.add_argument("--tag", default=None, help="the run's tag in namespace names (default: random)")
    args = parser.parse_args(argv)
    args.month = args.month or (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.geteuid() != 0:
        print("multihost drill: needs root (ip netns, veth, runuser)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # atexit and finally run on a kill too
    workdir = Path(tempfile.mkdtemp(prefix="socialwork-multihost-"))
    topo = Topology(["db", "web", "w1", "w2"], tag=args.tag)
    atexit.register(topo.destroy)
    summary: dict = {"tag": topo.tag, "subnet": str(topo.subnet), "hosts": topo.address, "workers": args.workers}
    try:
        checks = run(args, topo, workdir, summary)
    except Exception as exc:  # reported in the summary; the hosts are torn down below
        summary["error"] = f"{type(exc).__name__}: {exc}"
        checks = None
    finally:
        topo.destroy()
        if args.keep:
            summary["workdir"] = str(workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    summary["checks"] = checks
    summary["ok"] = bool(checks) and all(checks.values())
    print_summary(summary)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0 if summary["ok"] else (2 if checks is None else 1)


def run(args: argparse.Namespace, topo: Topology, workdir: Path, summary: dict) -> dict:
    """Build, seed, measure and drill; returns each check's outcome."""
    started = time.perf_counter()
    topo.build()
    hosts.start_db(topo, workdir)
    sink = hosts.start_sink(topo, workdir)
    summary["seed_seconds"] = round(hosts.migrate_and_seed(topo, workdir, args.workers), 1)
    base = hosts.start_web(topo, workdir)
    browser = client.Browser(base)
    browser.sign_in("payroll1", DEMO_PASSWORD)
    cluster = drills.Cluster(
        topo, workdir, _operator_app(topo), sa.create_engine(hosts.database_url(topo)), browser, args.month
    )
    summary["setup_seconds"] = round(time.perf_counter() - started, 1)
    checks = bench(cluster, args.repeat, summary)
    if not args.bench_only:
        checks.update(fault_drills(cluster, summary))
        summary["mail"] = drills.mail_during_partition(cluster, sink, args.mails)
        mail = summary["mail"]
        checks["mail: none lost"] = mail["lost"] == 0 and mail["pending_left"] == 0
        # The one gap no sender can close without the mail server's help: the mail in flight when
        # the link went down, taken by the server, its "sent" never recorded, is sent again.
        checks["mail: no Message-ID twice but the one in flight at the cut"] = len(mail["doubled"]) <= 1 and mail[
            "doubled_in_flight_at_cut"
        ] == len(mail["doubled"])
    summary["total_seconds"] = round(time.perf_counter() - started, 1)
    return checks


def _operator_app(topo: Topology):
    from app import create_app  # the app's config reads the environment when imported: set it first

    return create_app("development", SQLALCHEMY_DATABASE_URI=hosts.database_url(topo))


def bench(cluster: drills.Cluster, repeat: int, summary: dict) -> dict:
    """The month on w2 alone, then on w1 and w2, `repeat` times alternated; the first 1-host
    run's lines are the reference of everything after."""
    one, two = [], []
    cluster.start("w2")
    for _ in range(repeat):
        cluster.stop("w1")
        cluster.logs.pop("w1", None)
        one.append(drills.compute(cluster))
        cluster.start("w1")
        two.append(drills.compute(cluster))
    reference = one[0]["digest"]
    summary["reference"] = reference
    summary["one_host"], summary["two_hosts"] = one, two
    summary["bench"] = {
        "one_host_seconds": [r["seconds"] for r in one],
        "two_hosts_seconds": [r["seconds"] for r in two],
        "parts": one[0]["parts"]["total"],
    }
    return {
        "1 host: lines": reference["lines"] > 0,
        "2 hosts: identical lines": all(r["digest"] == reference for r in one + two),
        "2 hosts: both computed parts": all(r["computed_by"]["w1"] > 0 and r["computed_by"]["w2"] > 0 for r in two),
    }


def fault_drills(cluster: drills.Cluster, summary: dict) -> dict:
    reference = summary["reference"]
    summary["kill"] = kill = drills.month_with_fault(cluster, drills.kill_w1, reference)
    summary["cut"] = cut = drills.month_with_fault(cluster, drills.cut_w1, reference)
    checks = {}
    for name, facts in (("A (w1 killed)", kill), ("B (w1 cut off)", cut)):
        checks[f"drill {name}: identical lines"] = facts["identical"] and facts["identical_after_w1_back"]
        checks[f"drill {name}: w2 finished the month"] = facts["computed_by"]["w2"] > 0
    return checks


def print_summary(summary: dict) -> None:
    print(f"multihost drill {summary['tag']}: hosts {summary['hosts']}, {summary['workers']:,} workers")
    for key in ("seed_seconds", "setup_seconds", "total_seconds", "reference", "bench", "workdir", "error"):
        if key in summary:
            print(f"  {key}: {summary[key]}")
    for key in ("one_host", "two_hosts"):
        for r in summary.get(key, []):
            print(f"  {key}: {r['seconds']} s, parts computed by {r['computed_by']}, attempts {r['parts']['attempts']}")
    for key in ("kill", "cut"):
        if key in summary:
            r = summary[key]
            print(
                f"  drill {key}: {r['fault']}; month in {r['seconds']} s, parts computed by {r['computed_by']},"
                f" attempts {r['parts']['attempts']} for {r['parts']['total']} parts, identical {r['identical']},"
                f" still identical once w1 was back {r['identical_after_w1_back']}"
            )
    if "mail" in summary:
        print(f"  mail: {summary['mail']}")
    for name, ok in (summary.get("checks") or {}).items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    print("  ALL CHECKS HELD" if summary["ok"] else "  NOT ALL CHECKS HELD")


if __name__ == "__main__":
    sys.exit(main())
