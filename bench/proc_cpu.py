"""CPU time the server spends on a page, read from /proc (Linux): the gunicorn processes (the
master, its live workers and the workers it has reaped) and the PostgreSQL backends connected
to the bench database. Unlike the latencies, this hardly moves with what else the machine runs,
so it says what a request costs: on C idle cores, at most C / (web + database) requests a second.
"""

import os
import threading
from pathlib import Path

import sqlalchemy as sa

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # fields from the state on (the name may hold spaces)


def _seconds(fields: list[str], children: bool = False) -> float:
    # utime, stime (and cutime, cstime: the children it has waited for) at fields 14-17 of stat
    used = int(fields[11]) + int(fields[12])
    if children:
        used += int(fields[13]) + int(fields[14])
    return used / TICK


def gunicorn_seconds(master: int) -> tuple[float, set[int]]:
    """The master's CPU with its reaped children's, plus its live children's; and their pids."""
    own = _stat(master)
    if own is None:
        return 0.0, set()
    total, workers = _seconds(own, children=True), set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and fields[1] == str(master):
            total += _seconds(fields)
            workers.add(int(entry.name))
    return total, workers


BACKENDS = sa.text(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)


def backend_seconds(pids) -> dict[int, float]:
    return {pid: _seconds(fields) for pid in pids if (fields := _stat(pid))}


class ServerCpu:
    """start() before the load, stop() after: the CPU seconds of the web and the database.

    gunicorn replaces a worker after about WEB_MAX_REQUESTS requests: the reaped worker's CPU
    stays counted (the master's cutime), but its database connections close with it, and their
    backends with their CPU. So the backends are sampled every SAMPLE seconds while the load
    runs, each counted at the last value seen: a backend that leaves takes at most SAMPLE
    seconds' worth with it (`replaced` says when a worker was replaced)."""

    SAMPLE = 0.25

    def __init__(self, master: int, url: str):
        self.master, self.url = master, url
        self.web = self.database = 0.0
        self.replaced = False
        self._stop = threading.Event()

    def start(self) -> None:
        self._engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        self._conn = self._engine.connect()
        self._web, self._workers = gunicorn_seconds(self.master)
        self._first = backend_seconds(self._conn.execute(BACKENDS).scalars())
        self._last = dict(self._first)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(self.SAMPLE):
            self._last.update(backend_seconds(self._conn.execute(BACKENDS).scalars()))

    def stop(self) -> None:
        web, workers = gunicorn_seconds(self.master)
        self._stop.set()
        self._thread.join()
        self._last.update(backend_seconds(self._conn.execute(BACKENDS).scalars()))
        self._conn.close()
        self._engine.dispose()
        self.web = web - self._web
        self.replaced = workers != self._workers
        self.database = sum(used - self._first.get(pid, 0.0) for pid, used in self._last.items())
