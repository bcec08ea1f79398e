"""Measuring: one result row, latency samples, and a child process's wall time and peak memory."""

import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass


class BenchError(Exception):
    """Something went wrong (not merely slow): the benchmark exits non-zero."""


@dataclass
class Result:
    measure: str
    value: float | None  # None: not measured (see note)
    unit: str
    target: float | None = None  # pass when value < target (value >= target with at_least)
    note: str = ""
    target_label: str = ""  # how the target reads, when "< target unit" does not fit
    at_least: bool = False  # a rate: higher is better

    @property
    def passed(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target if self.at_least else self.value < self.target


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def sample_ms(fn: Callable[[], None], runs: int, warmups: int) -> list[float]:
    """Call fn warmups times unmeasured, then runs times; each call's wall time in ms."""
    for _ in range(warmups):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


@dataclass
class ChildRun:
    seconds: float
    peak_rss_mib: float
    returncode: int
    output: str


# Forks and execs the command, waits for it, writes "seconds maxrss_kib exit_status" to argv[1].
_LAUNCHER = """
import os, sys, time
report, args = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(args[0], args)
    except OSError as exc:
        print(f"{args[0]}: {exc}", file=sys.stderr, flush=True)
    os._exit(127)
_pid, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(report, "w") as out:
    out.write(f"{seconds} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_child(args: list[str], env: dict, cwd: str) -> ChildRun:
    """Run a command to completion: its wall time, and its own peak RSS from wait4 (KiB on Linux).

    The command is forked from a small launcher, not from this process: on Linux a child's
    ru_maxrss starts at the RSS of the process it was forked from, so the benchmark's own memory
    (hundreds of MiB after the in-process measures) would otherwise be counted as the child's."""
    with tempfile.TemporaryFile() as log, tempfile.TemporaryDirectory(prefix="bench-rusage-") as tmp:
        report = os.path.join(tmp, "rusage")
        launcher = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _LAUNCHER, report, *args],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
        log.seek(0)
        output = log.read().decode("utf-8", errors="replace")
        try:
            with open(report) as file:
                seconds, maxrss, returncode = file.read().split()
        except (OSError, ValueError):
            raise BenchError(
                f"could not run {args[0]} (launcher exit status {launcher.returncode}): {output.strip()[-500:]}"
            ) from None
    return ChildRun(float(seconds), int(maxrss) / 1024, int(returncode), output)


def checked(run: ChildRun, what: str) -> ChildRun:
    if run.returncode != 0:
        tail = "\n".join(run.output.strip().splitlines()[-20:])
        raise BenchError(f"{what} failed with exit status {run.returncode}:\n{tail}")
    return run
