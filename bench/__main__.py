"""`python -m bench`: run the scenarios, print their tables, write bench-results/<scenario>.json.

Scenarios, in the order they run by default: registry, exams, allowance, reports, payments, training, reminders,
production, multihost (a month on 1 and 2 worker hosts in network namespaces, as root: bench/multihost.py).
`--only NAME` runs some of them (`--only allowance,training` or `--only allowance --only training`),
always in that order. The registry drops the database and seeds it, then imports 100,000 more
workers; the exams scenario reuses the database when it holds workers and seeds it first when it
does not. The allowance, training and reminders scenarios need the database as `flask seed-demo
--workers N` leaves it (N = --workers): they reuse it when it holds exactly N workers, and drop
and seed it otherwise (so after the registry's import they seed it once again). The allowance and
reminders scenarios start real Celery worker processes on Redis (redis://127.0.0.1:6379/14, queue
"bench"); the reminders scenario receives mail with aiosmtpd (requirements-dev.txt). The production scenario
(the same database) starts gunicorn with APP_CONFIG=production, loads the worker list and "my
record" with --clients signed-in HTTP clients, then backs the database up and restores it.

Exit status 0 when the benchmark ran (even if a target is missed: it is a report), 1 when
something failed, 2 when PostgreSQL is unreachable.
"""

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench import allowance, exams, multihost, payments, production, reminders, reports, training
from bench.common import BENCH_REDIS_URL, ensure_demo_database
from bench.scenario import PROJECT, Options, PostgresUnreachable, run, safe_url
from bench.timing import BenchError, Result

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/socialwork_bench"
SCENARIOS = ("registry", "exams", "allowance", "reports", "payments", "training", "reminders", "production")
SCENARIOS += ("multihost",)  # as root only: its worker hosts are network namespaces (bench/multihost.py)
RESULTS = PROJECT / "bench-results"


def _scenarios(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown scenario {', '.join(unknown) or value!r} (choose from {', '.join(SCENARIOS)})"
        )
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=100_000, help="workers seeded by seed-demo (default 100000)")
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows in the posts file (default 100000)")
    parser.add_argument("--requests", type=int, default=30, help="measured requests per page (default 30)")
    parser.add_argument("--warmups", type=int, default=3, help="unmeasured requests first (default 3)")
    parser.add_argument("--reuse", action="store_true", help="keep the database when it already holds workers")
    parser.add_argument("--no-vacuum", action="store_true", help="skip VACUUM ANALYZE before the page measures")
    parser.add_argument("--output", default=str(PROJECT / "bench-results" / "registry.json"), help="JSON report")
    parser.add_argument(
        "--only",
        type=_scenarios,
        action="append",
        default=None,
        metavar="NAME[,NAME...]",
        help=f"run these scenarios only ({', '.join(SCENARIOS)}); repeatable (default: all, in that order)",
    )
    parser.add_argument(
        "--exam-workers",
        type=int,
        default=100_000,
        help="workers in the exam results file, two rows each on average (default 100000)",
    )
    parser.add_argument(
        "--exams-output", default=str(PROJECT / "bench-results" / "exams.json"), help="JSON report of the exams"
    )
    parser.add_argument(
        "--month", default=None, help="allowance: the month computed and exported (default: the month before this one)"
    )
    parser.add_argument(
        "--celery-workers", type=int, default=2, help="allowance and reminders: Celery worker processes (default 2)"
    )
    parser.add_argument("--roster", type=int, default=500, help="training: workers on the roster (default 500)")
    parser.add_argument(
        "--bulk",
        type=int,
        default=5000,
        help="training: workers enrolled at once into a capacity of 3000 (default 5000)",
    )
    parser.add_argument(
        "--mails", type=int, default=10_000, help="reminders: mails sent to the SMTP sink (default 10000)"
    )
    parser.add_argument("--clients", type=int, default=20, help="production: concurrent HTTP clients (default 20)")
    parser.add_argument(
        "--load-seconds", type=float, default=30, help="production: seconds of load per page (default 30)"
    )
    args = parser.parse_args(argv)
    args.only = [name for name in SCENARIOS if args.only is None or any(name in group for group in args.only)]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    command = shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)])
    with tempfile.TemporaryDirectory(prefix="socialwork-bench-") as tmp:
        try:
            for name in args.only:
                RUNNERS[name](args, url, command, Path(tmp))
        except PostgresUnreachable as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 2
        except BenchError as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 1
    return 0


def run_registry(args: argparse.Namespace, url: str, command: str, workdir: Path) -> None:
    opts = Options(
        url=url,
        workers=args.workers,
        reuse=args.reuse,
        runs=args.requests,
        warmups=args.warmups,
        import_rows=args.import_rows,
        vacuum=not args.no_vacuum,
    )
    started = datetime.now(UTC)
    seeding = "reusing its data if any" if args.reuse else f"seeding {args.workers:,} workers"
    print(f"Registry: benchmarking on {safe_url(url)}, {seeding}...", flush=True)
    results, facts = run(opts, workdir)
    if facts.reused:
        facts.notes.insert(0, f"--reuse: kept the existing database ({facts.workers_before_import:,} workers)")
    print_table(results, facts.notes)
    write_report(
        args.output,
        {
            "command": command,
            "started_at": started.isoformat(timespec="seconds"),
            "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
            "database": safe_url(url),
            "workers_seeded": None if facts.reused else args.workers,
            "workers_before_import": facts.workers_before_import,
            "environment": _environment(),
            "notes": facts.notes,
            "results": _results(results),
        },
    )


def run_exams(args: argparse.Namespace, url: str, command: str, workdir: Path) -> None:
    opts = exams.ExamOptions(url=url, seed_workers=args.workers, workers=args.exam_workers, vacuum=not args.no_vacuum)
    started = datetime.now(UTC)
    print(f"\nExams: benchmarking on {safe_url(url)}, a results file for {args.exam_workers:,} workers...", flush=True)
    results, facts = exams.run(opts, workdir)
    print_table(results, facts.notes)
    write_report(
        args.exams_output,
        {
            "command": command,
            "started_at": started.isoformat(timespec="seconds"),
            "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
            "database": safe_url(url),
            "workers_seeded": args.workers if facts.seeded else None,
            "workers_in_database": facts.workers_in_db,
            "file": facts.file,
            "exam_results": facts.exam_results,
            "qualifications": facts.qualifications,
            "environment": _environment(),
            "notes": facts.notes,
            "results": _results(results),
        },
    )


def run_allowance(args: argparse.Namespace, url: str, command: str, workdir: Path) -> None:
    opts = allowance.AllowanceOptions(
        url=url, workers=args.workers, month=args.month, celery_workers=args.celery_workers, vacuum=not args.no_vacuum
    )
    started = datetime.now(UTC)
    print(f"\nAllowance: benchmarking on {safe_url(url)}, {args.workers:,} workers...", flush=True)
    results, facts = allowance.run(opts, workdir / "allowance")
    print_table(results, facts.notes)
    write_report(
        str(RESULTS / "allowance.json"),
        {
            **_header(command, started, url),
            "month": facts.month,
            "runs": facts.runs,
            "exports": facts.exports,
            "arrears": facts.arrears,
            "explain": facts.explain,
            "environment": _environment(),
            "notes": facts.notes,
            "results": _results(results),
        },
    )


def run_training(args: argparse.Namespace, url: str, command: str, workdir: Path) -> None:
    opts = training.TrainingOptions(
        url=url,
        workers=args.workers,
        roster=args.roster,
        bulk=args.bulk,
        runs=args.requests,
        warmups=args.warmups,
        vacuum=not args.no_vacuum,
    )
    started = datetime.now(UTC)
    print(f"\nTraining: benchmarking on {safe_url(url)}, a {args.roster}-person roster...", flush=True)
    results, facts = training.run(opts, workdir / "training")
    print_table(results, facts.notes)
    write_report(
        str(RESULTS / "training.json"),
        {
            **_header(command, started, url),
            "sessions": facts.sessions,
            "environment": _environment(),
            "notes": facts.notes,
            "results": _results(results),
        },
    )


def run_reminders(args: argparse.Namespace, url: str, command: str, workdir: Path) -> None:
    opts = reminders.ReminderOptions(
        url=url, workers=args.workers, mails=args.mails, celery_workers=args.celery_workers, vacuum=not args.no_vacuum
    )
    started = datetime.now(UTC)
    print(f"\nReminders: benchmarking on {safe_url(url)}, {args.mails:,} mails...", flush=True)
    results, facts = reminders.run(opts, workdir / "reminders")
    print_table(results, facts.notes)
    write_report(
        str(RESULTS / "reminders.json"),
        {
            **_header(command, started, url),
            "users": facts.users,
            "scan": facts.scan,
            "mail": facts.mail,
            "environment": _environment(),
            "notes": facts.notes,
            "results": _results(results),
        },
    )


def run_reports(args: argparse.Namespace, url: str, command: str, workdir: Path) -> None:
    started = datetime.now(UTC)
    print(f"\nReports: benchmarking on {safe_url(url)}, {args.workers:,} workers...", flush=True)
    notes: list[str] = []
    _env, seeded = ensure_demo_database(url, args.workers, workdir / "reports", notes)
    results, measured = reports.run(url, fill=True)
    print_table(seeded + results, notes + measured)
    write_report(
        str(RESULTS / "reports.json"),
        {
            **_header(command, started, url),
            "environment": _environment(),
            "notes": notes + measured,
            "results": _results(seeded + results),
        },
    )


def run_payments(args: argparse.Namespace, url: str, command: str, workdir: Path) -> None:
    started = datetime.now(UTC)
    print(f"\nPayments: benchmarking on {safe_url(url)}, {args.workers:,} workers...", flush=True)
    notes: list[str] = []
    _env, seeded = ensure_demo_database(url, args.workers, workdir / "payments", notes)
    results, measured = payments.run(url, args.workers)
    print_table(seeded + results, notes + measured)
    write_report(
        str(RESULTS / "payments.json"),
        {
            **_header(command, started, url),
            "environment": _environment(),
            "notes": notes + measured,
            "results": _results(seeded + results),
        },
    )


def run_production(args: argparse.Namespace, url: str, command: str, workdir: Path) -> None:
    started = datetime.now(UTC)
    print(f"\nProduction: benchmarking on {safe_url(url)}, {args.clients} clients...", flush=True)
    opts = production.LoadOptions(
        url, BENCH_REDIS_URL, args.clients, args.load_seconds, args.warmups, vacuum=not args.no_vacuum
    )
    results, notes, loads = production.run(opts, args.workers, workdir / "production")
    print_table(results, notes)
    write_report(
        str(RESULTS / "production.json"),
        {
            **_header(command, started, url),
            "clients": args.clients,
            "load_seconds": args.load_seconds,
            "load_average": loads,
            "environment": _environment(),
            "notes": notes,
            "results": _results(results),
        },
    )


def run_multihost(args: argparse.Namespace, url: str, command: str, workdir: Path) -> None:
    started = datetime.now(UTC)
    print(f"\nMultihost: a month on 1 and 2 worker hosts (network namespaces), {args.workers:,} workers...", flush=True)
    results, notes = multihost.run(args.workers, workdir / "multihost")
    print_table(results, notes)
    report = {**_header(command, started, url), "database": "its own, on the db host", "environment": _environment()}
    write_report(str(RESULTS / "multihost.json"), {**report, "notes": notes, "results": _results(results)})


def _header(command: str, started: datetime, url: str) -> dict:
    return {
        "command": command,
        "started_at": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "database": safe_url(url),
    }


RUNNERS = {
    "registry": run_registry,
    "exams": run_exams,
    "allowance": run_allowance,
    "reports": run_reports,
    "payments": run_payments,
    "training": run_training,
    "reminders": run_reminders,
    "production": run_production,
    "multihost": run_multihost,
}


def write_report(path: str, report: dict) -> None:
    output = Path(path)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nWritten to {output}")


def _environment() -> dict:
    return {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()}


def _results(results: list[Result]) -> list[dict]:
    return [{**asdict(r), "value": _rounded(r.value), "passed": r.passed} for r in results]


def print_table(results: list[Result], notes: list[str]) -> None:
    rows = [("measure", "value", "target", "result")]
    footnotes = []
    for r in results:
        label = r.measure
        if r.note:
            footnotes.append(r.note)
            label += f" [{len(footnotes)}]"
        sign = "≥" if r.at_least else "<"
        target = r.target_label or (f"{sign} {r.target:g} {r.unit}".strip() if r.target is not None else "")
        verdict = {True: "pass", False: "FAIL", None: ""}[r.passed]
        rows.append((label, _value(r), target, verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        print("  ".join(cells))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for n, note in enumerate(footnotes, start=1):
        print(f"[{n}] {note}")
    for note in notes:
        print(f"Note: {note}")


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _value(r: Result) -> str:
    if r.value is None:
        return "-"
    digits = 0 if r.unit in COUNT_UNITS else 2 if r.unit == "CNY" else 1
    return f"{r.value:,.{digits}f} {r.unit}".strip()


COUNT_UNITS = ("MiB", "", "lines", "rows", "notices", "mails", "workers", "tables")


if __name__ == "__main__":
    sys.exit(main())
