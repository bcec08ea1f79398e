"""The drills, on a built and running cluster (`Cluster`): a month computed from the web page on
one or two worker hosts; the same with w1 killed, or cut off, mid-run; a batch of mails sent
while w1 is cut off. Each returns plain facts (dicts) for the summary and the test."""

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from celery import Celery

from app.core.celery import queue_name
from app.reminders import notices
from scripts.multihost import client, hosts
from scripts.multihost.netns import Topology

WORKER_HOSTS = ("w1", "w2")
MONTH_TIMEOUT = 300


@dataclass
class Cluster:
    topo: Topology
    workdir: Path
    app: object  # the app in the operator's process, on db's database (reads only, and the mail setup)
    engine: sa.Engine
    browser: client.Browser
    month: str
    logs: dict[str, Path] = field(default_factory=dict)
    running: set[str] = field(default_factory=set)

    def start(self, host: str) -> None:
        if host not in self.running:
            self.logs[host] = hosts.start_worker(self.topo, self.workdir, host)
            self.running.add(host)

    def stop(self, host: str) -> None:
        """Every process on the host killed (a host that died, or one taken out of service)."""
        self.topo.kill_host(host)
        self.running.discard(host)


def compute(cluster: Cluster, fault=None) -> dict:
    """Press Compute on the runs page and wait until the run is computed; `fault(cluster)` runs
    meanwhile. Returns the wall time, who computed what, the parts and the lines' digest."""
    offsets = {h: client.log_offset(cluster.logs[h]) for h in cluster.logs}
    start = time.perf_counter()
    cluster.browser.compute(cluster.month)
    facts = {"fault": fault(cluster) if fault else None}
    hosts.wait_for(
        lambda: client.parts(cluster.engine, cluster.month)["finished"], MONTH_TIMEOUT, "the month", every=0.05
    )
    facts["seconds"] = round(time.perf_counter() - start, 2)
    facts["computed_by"] = {h: client.computed_parts(cluster.logs[h], offsets[h]) for h in sorted(cluster.logs)}
    facts["parts"] = client.parts(cluster.engine, cluster.month)
    facts["digest"] = client.digest(cluster.app, cluster.month)
    return facts


def _when_w1_computed_a_part(cluster: Cluster) -> dict:
    """Wait until w1 has written a part of this run and the run is far from done: the moment."""
    offset = client.log_offset(cluster.logs["w1"])
    hosts.wait_for(lambda: client.computed_parts(cluster.logs["w1"], offset) >= 1, 60, "w1's first part", every=0.05)
    state = client.parts(cluster.engine, cluster.month)
    if state["finished"] or state["done"] >= state["total"] - 2:
        raise RuntimeError(f"the fault came too late to test anything: {state}")
    return state


def kill_w1(cluster: Cluster) -> dict:
    state = _when_w1_computed_a_part(cluster)
    killed = cluster.topo.kill_host("w1")
    cluster.running.discard("w1")
    return {"what": "every process on w1 killed (SIGKILL)", "processes": killed, "parts_done_then": state["done"]}


def cut_w1(cluster: Cluster) -> dict:
    state = _when_w1_computed_a_part(cluster)
    cluster.topo.cut("w1")
    return {"what": "w1's link set down", "parts_done_then": state["done"]}


def month_with_fault(cluster: Cluster, fault, reference: dict) -> dict:
    """A month computed on w1 and w2 while `fault` strikes w1; then w1 comes back (its link up,
    or its worker restarted by the process manager) and the lines must still equal the reference."""
    facts = compute(cluster, fault)
    facts["identical"] = facts["digest"] == reference
    cluster.topo.heal("w1")
    time.sleep(8)  # a cut-off worker that finishes its part now must not change a line
    facts["identical_after_w1_back"] = client.digest(cluster.app, cluster.month) == reference
    cluster.stop("w1")  # and the process manager starts it afresh
    cluster.start("w1")
    return facts


# ---- mail ----


def _mail_setup(cluster: Cluster, count: int) -> set[str]:
    """A worker account with an e-mail address for `count` workers, one notice each (a mail
    delivery each); returns the Message-IDs expected."""
    with cluster.app.app_context():
        from app.extensions import db  # the operator's app context is open only here

        db.session.execute(
            sa.text(
                'INSERT INTO "user" (username, password_hash, role, display_name, email, worker_id, active,'
                " city_wide, locale, must_change_password, created_at, updated_at)"
                " SELECT 'drill_w' || w.id, 'x', 'worker', w.name, 'user' || w.id || '@example.org', w.id, true,"
                " false, 'zh_CN', false, now(), now() FROM worker w"
                ' WHERE NOT EXISTS (SELECT 1 FROM "user" u WHERE u.worker_id = w.id) ORDER BY w.id LIMIT :n'
            ),
            {"n": count},
        )
        users = list(
            db.session.scalars(sa.text("SELECT id FROM \"user\" WHERE username LIKE 'drill_w%' LIMIT :n"), {"n": count})
        )
        stamp = f"{time.time():.0f}"
        notices.notify(users, "run_submitted", f"drill:{stamp}", stamp, {"month": cluster.month, "by": "drill"})
        db.session.commit()
        ids = db.session.scalars(
            sa.text(
                "SELECT d.id FROM delivery d JOIN notice n ON n.id = d.notice_id"
                " WHERE n.target = :t AND d.channel = 'mail'"
            ),
            {"t": f"drill:{stamp}"},
        ).all()
        db.session.remove()
    return {f"<delivery-{i}@socialwork.local>" for i in ids}


def _pending(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM delivery WHERE state = 'pending'")).scalar()


def _mail_ids(engine: sa.Engine) -> set[str]:
    """The Message-ID of every mail delivery the database holds (app/reminders/delivery.py)."""
    with engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT id FROM delivery WHERE channel = 'mail'")).scalars()
        return {f"<delivery-{i}@socialwork.local>" for i in ids}


def _arrivals(sink: Path) -> list[str]:
    """The Message-IDs the sink took, in the order it took them."""
    return [line for line in sink.read_text().splitlines() if line]


def mail_during_partition(cluster: Cluster, sink: Path, count: int) -> dict:
    """`count` mails queued for both worker hosts; w1 cut off once a fifth has arrived; beat's
    every-minute send tick stood in for by one every 2 s; then w1's link comes back."""
    expected = _mail_setup(cluster, count)
    celery = Celery(broker=hosts.redis_url(cluster.topo), set_as_current=False)
    mail_queue = queue_name("celery", "mail")
    offsets = {h: client.log_offset(cluster.logs[h]) for h in WORKER_HOSTS}

    def tick() -> None:
        celery.send_task("reminders.send_pending", queue=mail_queue)

    def took_a_task(host: str) -> bool:
        with open(cluster.logs[host], "rb") as f:
            f.seek(offsets[host])
            return b"reminders.send_pending" in f.read()

    start = time.perf_counter()
    try:
        tick(), tick()
        hosts.wait_for(lambda: all(took_a_task(h) for h in WORKER_HOSTS), 60, "both hosts sending", every=0.05)
        hosts.wait_for(lambda: len(_arrivals(sink)) >= count // 5, 120, "a fifth of the mail", every=0.05)
        cluster.topo.cut("w1")
        at_cut = len(_arrivals(sink))
        deadline = time.monotonic() + 180
        while _pending(cluster.engine) and time.monotonic() < deadline:
            tick()
            time.sleep(2)
        seconds = time.perf_counter() - start
        cluster.topo.heal("w1")
        time.sleep(10)  # anything w1 had in flight arrives now, if it ever does
    finally:
        celery.close()
    arrivals = _arrivals(sink)
    received = Counter(arrivals)
    got = set(received)
    doubled = {mid: n for mid, n in received.items() if n > 1}
    return {
        "mails": count,
        "received_at_cut": at_cut,
        "received": sum(received.values()),
        "distinct": len(expected & got),
        "lost": len(expected - got),
        # beat's reminder scan (every 5 minutes) may meanwhile make notices for the drill's new
        # accounts: their mails are other deliveries', sent the same way
        "others": len(got - expected),
        "doubled": doubled,
        # a doubled mail the sink first took before the cut was in flight on w1 when its link went
        # down: taken by the server, its "sent" never reached the database (README, Reminders)
        "doubled_in_flight_at_cut": sum(arrivals.index(mid) < at_cut for mid in doubled),
        "unexpected": len(got - _mail_ids(cluster.engine)),  # a mail of no delivery
        "pending_left": _pending(cluster.engine),
        "seconds": round(seconds, 1),
    }
