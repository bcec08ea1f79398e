"""CPU time the server spends on a page, read from /proc (Linux): the gunicorn processes (the
master, its live workers and the workers it has reaped) and the PostgreSQL backends connected
to the bench database. Unlike the latencies, this hardly moves with what else the machine runs,
so it says what a request costs: on C idle cores, at most C / (web + database) requests a second.
"""

import os
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


def backend_pids(url: str) -> list[int]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()


def backend_seconds(pids: list[int]) -> dict[int, float]:
    return {pid: _seconds(fields) for pid in pids if (fields := _stat(pid))}


class ServerCpu:
    """start() before the load, stop() after: the CPU seconds of the web and the database.

    gunicorn replaces a worker after about WEB_MAX_REQUESTS requests: the reaped worker's CPU
    stays counted (the master's cutime), but its database connections close with it and their
    backends' CPU is lost, so the database's is None (not measured) when a worker was replaced."""

    def __init__(self, master: int, url: str):
        self.master, self.url = master, url
        self.web: float = 0.0
        self.database: float | None = 0.0
        self.replaced = False

    def start(self) -> None:
        self._web, self._workers = gunicorn_seconds(self.master)
        self._db = backend_seconds(backend_pids(self.url))

    def stop(self) -> None:
        web, workers = gunicorn_seconds(self.master)
        self.web = web - self._web
        self.replaced = workers != self._workers
        after = backend_seconds(backend_pids(self.url))
        self.database = None if self.replaced else sum(used - self._db.get(pid, 0.0) for pid, used in after.items())
