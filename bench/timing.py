"""Measuring: one result row, latency samples, and a child process's wall time and peak memory."""

import math
import os
import subprocess
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


def run_child(args: list[str], env: dict, cwd: str) -> ChildRun:
    """Run a command to completion; wait4 gives this child's own peak RSS (KiB on Linux)."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read().decode("utf-8", errors="replace")
    return ChildRun(seconds, usage.ru_maxrss / 1024, proc.returncode, output)


def checked(run: ChildRun, what: str) -> ChildRun:
    if run.returncode != 0:
        tail = "\n".join(run.output.strip().splitlines()[-20:])
        raise BenchError(f"{what} failed with exit status {run.returncode}:\n{tail}")
    return run
