"""The reminders scenario, on the 100,000-worker demo database (app/reminders/):

1. the recipients: a worker account (with an e-mail address) for every worker who has none,
   set-based (setup);
2. the due-reminders scan `notices.notify_many(due.due_items())` in-process, twice: the first
   creates the notices (and their mail deliveries), the second must create none;
3. mail throughput: 10,000 pending mail deliveries (one notice of a fresh occurrence to 10,000
   worker accounts) sent by real Celery worker processes on Redis (`reminders.send_pending`
   queued twice) to an SMTP sink (aiosmtpd) in this process, timed from queueing until the sink
   holds 10,000 messages; every Message-ID is checked to arrive once.

Setup empties the notices and deliveries (an earlier run's, and what other scenarios sent), so
the first scan starts from none.
"""

import re
import socket
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from celery import Celery

from app.allowance import due_reminders as allowance_due
from app.core.timeutil import local_today, utcnow
from app.exams import due_reminders as exams_due
from app.extensions import db
from app.reminders import due, notices
from app.training import due_reminders as training_due
from bench.common import (
    BENCH_QUEUE,
    BENCH_REDIS_URL,
    ensure_demo_database,
    ensure_worker_accounts,
    finished_tasks,
    make_app,
    purge_queue,
    start_workers,
    stop_workers,
    vacuum_analyze,
    wait_ready,
    worker_env,
)
from bench.scenario import DEMO_PASSWORD
from bench.timing import BenchError, Result

NOTICE_TABLES = ("notice", "delivery", "user", "registration", "qualification", "ce_record", "enrolment")
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


@dataclass
class ReminderOptions:
    url: str
    workers: int = 100_000
    mails: int = 10_000
    celery_workers: int = 2
    target_rate: float = 200  # mails a second
    vacuum: bool = True


@dataclass
class ReminderFacts:
    notes: list[str] = field(default_factory=list)
    users: dict = field(default_factory=dict)
    scan: dict = field(default_factory=dict)
    mail: dict = field(default_factory=dict)


def run(opts: ReminderOptions, workdir: Path | None = None) -> tuple[list[Result], ReminderFacts]:
    if workdir is not None:
        return _run(opts, workdir)
    with tempfile.TemporaryDirectory(prefix="socialwork-bench-reminders-") as tmp:
        return _run(opts, Path(tmp))


def _run(opts: ReminderOptions, workdir: Path) -> tuple[list[Result], ReminderFacts]:
    facts = ReminderFacts()
    workdir.mkdir(parents=True, exist_ok=True)
    env, results = ensure_demo_database(opts.url, opts.workers, workdir, facts.notes)
    app = make_app(opts.url)
    with app.app_context():
        results += accounts(facts)
        empty_notices(facts)
        db.session.remove()
        _vacuum(opts, facts)
        results += scan(facts)
        db.session.remove()
        empty_notices(facts, note=False)
        results += mail(opts, env, workdir, facts)
        db.session.remove()
    return results, facts


def _vacuum(opts: ReminderOptions, facts: ReminderFacts) -> None:
    if opts.vacuum:
        vacuum_analyze(opts.url, NOTICE_TABLES)
        if not any(n.startswith("VACUUM") for n in facts.notes):
            facts.notes.append(f"VACUUM ANALYZE of {', '.join(NOTICE_TABLES)} before the scan and the mail measure")


# ---- setup ----


def accounts(facts: ReminderFacts) -> list[Result]:
    start = time.perf_counter()
    created, total = ensure_worker_accounts(db.session.connection(), DEMO_PASSWORD)
    db.session.commit()
    seconds = time.perf_counter() - start
    workers = db.session.execute(sa.text("SELECT count(*) FROM worker")).scalar()
    with_mail = db.session.execute(
        sa.text('SELECT count(*) FROM "user" WHERE worker_id IS NOT NULL AND email IS NOT NULL AND active')
    ).scalar()
    db.session.rollback()
    facts.users = {"workers": workers, "worker_accounts": total, "created": created, "with_email": with_mail}
    if total < workers:
        raise BenchError(f"only {total:,} of {workers:,} workers have an account")
    facts.notes.append(
        f"setup: {created:,} worker accounts created set-based in {seconds:.1f} s (one argon2id hash for all); "
        f"{total:,} worker accounts, {with_mail:,} with an e-mail address"
    )
    return []


def empty_notices(facts: ReminderFacts, note: bool = True) -> None:
    before = db.session.execute(sa.text("SELECT count(*) FROM notice")).scalar()
    db.session.execute(sa.text("TRUNCATE delivery, notice"))
    db.session.commit()
    if note and before:
        facts.notes.append(f"setup: deleted {before:,} notices (and their deliveries) left by earlier runs")


# ---- the scan ----


def scan(facts: ReminderFacts) -> list[Result]:
    runs = []
    for _ in range(2):
        start = time.perf_counter()
        items = due.due_items()
        found_s = time.perf_counter() - start
        created = notices.notify_many(items)
        db.session.commit()
        runs.append((time.perf_counter() - start, found_s, created, items))
        db.session.remove()
    (first_s, first_due_s, first_created, items), (second_s, second_due_s, second_created, again) = runs
    kinds = Counter(item[1] for item in items)
    deliveries = dict(
        db.session.execute(sa.text("SELECT channel, count(*) FROM delivery GROUP BY channel ORDER BY channel")).all()
    )
    stored = dict(db.session.execute(sa.text("SELECT kind, count(*) FROM notice GROUP BY kind ORDER BY kind")).all())
    db.session.rollback()
    parts = _time_parts()
    facts.scan = {
        "first": {"seconds": first_s, "due_items_seconds": first_due_s, "items": len(items), "created": first_created},
        "second": {
            "seconds": second_s,
            "due_items_seconds": second_due_s,
            "items": len(again),
            "created": second_created,
        },
        "items_by_kind": dict(sorted(kinds.items())),
        "notices_by_kind": stored,
        "deliveries_by_channel": deliveries,
        "due_items_parts_seconds": parts,
    }
    if second_created:
        raise BenchError(f"the second scan created {second_created} notices; it must create none")
    by_kind = ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items())) or "nothing due"
    slowest = max(parts.items(), key=lambda kv: kv[1]) if parts else ("-", 0)
    return [
        Result(
            "scan 1: notify_many(due_items()), notices created: wall time",
            first_s,
            "s",
            5,
            f"{first_created:,} notices ({by_kind}) and {sum(deliveries.values()):,} deliveries; "
            f"due_items() alone {first_due_s:.1f} s, its slowest part {slowest[0]} {slowest[1]:.1f} s",
        ),
        Result("scan 1: notices created", first_created, "notices"),
        Result(
            "scan 2: the same scan again: wall time",
            second_s,
            "s",
            5,
            f"{len(again):,} items due again; due_items() alone {second_due_s:.1f} s",
        ),
        Result("scan 2: notices created", second_created, "notices", 1, target_label="0"),
    ]


def _time_parts() -> dict[str, float]:
    """Each part of due_items() on its own (read-only, after the two scans)."""
    now, today = utcnow(), local_today()
    parts = {
        "session_reminders": lambda: training_due.session_reminders(now),
        "exam_registration_open": lambda: training_due.exam_registration_open(today),
        "first_registration_due": lambda: exams_due.first_registration_due(today),
        "registration_expiring": lambda: exams_due.registration_expiring(today),
        "ce_shortfall": lambda: exams_due.ce_shortfall(today),
        "allowance_statements": allowance_due.allowance_statements,
    }
    out = {}
    for name, fn in parts.items():
        start = time.perf_counter()
        fn()
        out[name] = round(time.perf_counter() - start, 3)
    db.session.rollback()
    return out


# ---- mail throughput ----


class Sink:
    """Counts what the SMTP server receives, by Message-ID (the header only: the bench process
    shares its CPU with the workers, so nothing more is parsed)."""

    def __init__(self):
        self.ids: Counter = Counter()
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, _server, _session, envelope):
        found = MESSAGE_ID.search(envelope.content.split(b"\r\n\r\n", 1)[0])
        with self.lock:
            self.ids[found.group(1).decode() if found else None] += 1
            self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mail(opts: ReminderOptions, env: dict, workdir: Path, facts: ReminderFacts) -> list[Result]:
    users = list(
        db.session.execute(
            sa.text(
                'SELECT id FROM "user" WHERE worker_id IS NOT NULL AND email IS NOT NULL AND active'
                " ORDER BY id LIMIT :n"
            ),
            {"n": opts.mails},
        ).scalars()
    )
    if len(users) < opts.mails:
        raise BenchError(f"only {len(users)} worker accounts with an e-mail address, not {opts.mails}")
    stamp = f"{time.time():.0f}"
    start = time.perf_counter()
    created = notices.notify(users, "run_submitted", f"bench:{stamp}", stamp, {"month": "bench", "by": "bench"})
    db.session.commit()
    setup_s = time.perf_counter() - start
    expected = {
        f"<delivery-{i}@socialwork.local>"
        for i in db.session.execute(
            sa.text("SELECT id FROM delivery WHERE state = 'pending' AND channel = 'mail'")
        ).scalars()
    }
    db.session.remove()
    if created != opts.mails or len(expected) != opts.mails:
        raise BenchError(f"{created} notices and {len(expected)} pending mail deliveries, not {opts.mails}")
    _vacuum(opts, facts)

    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    purge_queue()
    wenv = worker_env(env, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port), QUIET_HOURS="")
    procs = start_workers(wenv, opts.celery_workers, "mail", workdir)
    client = Celery(broker=BENCH_REDIS_URL, set_as_current=False)
    requeued = 0
    try:
        wait_ready(procs, "mail", workdir)
        start = time.perf_counter()
        for _ in range(opts.celery_workers):
            client.send_task("reminders.send_pending", queue=BENCH_QUEUE)
        seen, grew_at, first_at = 0, time.monotonic(), None
        deadline = time.monotonic() + 900
        while sink.count < opts.mails and time.monotonic() < deadline:
            time.sleep(0.05)
            if sink.count != seen:
                seen, grew_at = sink.count, time.monotonic()
                if first_at is None:
                    first_at = time.perf_counter() - start
            elif time.monotonic() - grew_at > 5:  # the tasks' 50 s budget ran out: the next beat tick
                for _ in range(opts.celery_workers):
                    client.send_task("reminders.send_pending", queue=BENCH_QUEUE)
                requeued += 1
                grew_at = time.monotonic()
        seconds = time.perf_counter() - start
        received = sink.count
        time.sleep(2)  # anything arriving late (twice) is counted too
    finally:
        stop_workers(procs)
        controller.stop()
        client.close()
    with db.engine.connect() as conn:
        states = dict(conn.execute(sa.text("SELECT state, count(*) FROM delivery GROUP BY state")).all())
    tasks = finished_tasks("mail", opts.celery_workers, workdir)
    ids = sink.ids
    doubled = {mid: n for mid, n in ids.items() if n > 1}
    lost = len(expected - set(ids))
    strangers = len(set(ids) - expected)
    rate = received / seconds if seconds else 0
    facts.mail = {
        "messages_expected": opts.mails,
        "messages_received": sink.count,
        "distinct_message_ids": len(ids),
        "doubled_message_ids": doubled,
        "lost": lost,
        "unexpected": strangers,
        "seconds": seconds,
        "first_message_after_seconds": first_at,
        "rate_per_second": rate,
        "requeued_send_pending": requeued,
        "send_pending_tasks": tasks,
        "delivery_states": states,
        "celery_workers": opts.celery_workers,
        "setup_notify_seconds": setup_s,
    }
    if received < opts.mails:
        raise BenchError(f"only {received} of {opts.mails} mails arrived within 900 s")
    extra = f"; send_pending re-queued {requeued}× after its 50 s budget ran out" if requeued else ""
    return [
        Result(
            f"{opts.mails:,} mails to an SMTP sink, {opts.celery_workers} worker processes: rate",
            rate,
            "/s",
            opts.target_rate,
            f"{received:,} messages in {seconds:.1f} s from queueing reminders.send_pending ×{opts.celery_workers} "
            f"(first after {first_at or 0:.2f} s); delivery states after: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(states.items()))
            + extra
            + "; send_pending tasks (worker: seconds, sent): "
            + ", ".join(f"{t['worker']}: {t['seconds']:.1f} s, {t['returned']}" for t in tasks),
            at_least=True,
        ),
        Result("mail: seconds until the sink held them all", seconds, "s"),
        Result(
            "mail: Message-IDs that arrived twice",
            len(doubled),
            "",
            1,
            f"{len(ids):,} distinct Message-IDs for {sink.count:,} messages; lost {lost}, unexpected {strangers}",
            "0",
        ),
    ]
