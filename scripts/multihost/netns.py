"""The network: one namespace per host, each with an `eth0` joined by a veth pair to a bridge that
lives in a "switch" namespace of its own; this process (the operator, root namespace) has a link
to the same bridge, so it reaches every host as a browser on the LAN would.

Every name carries the run's tag (`mh<tag>-w1`...) and the subnet is a random 10.x.y.0/24 that
no route of this machine uses, so two runs at once never meet. `destroy()` (also from atexit)
kills every process in the namespaces and deletes them; `destroy_tagged(tag)` does the same for
a run that died without it.
"""

import contextlib
import ipaddress
import os
import random
import secrets
import signal
import subprocess
import time
from pathlib import Path

PREFIX = "mh"


def ip(*args: str, check: bool = True) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and done.returncode:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def _free_subnet() -> ipaddress.IPv4Network:
    routes = [line.split()[0] for line in ip("-4", "route").splitlines() if line]
    taken = [ipaddress.ip_network(r, strict=False) for r in routes if r != "default"]  # default covers all
    for _ in range(100):
        net = ipaddress.ip_network(f"10.{random.randint(200, 250)}.{random.randint(0, 255)}.0/24")
        if not any(net.overlaps(n) for n in taken):
            return net
    raise RuntimeError("no free 10.x.y.0/24 subnet")


def namespace_pids(ns: str) -> list[int]:
    return [int(p) for p in ip("netns", "pids", ns, check=False).split()]


def kill_namespace(ns: str, grace: float = 0.0) -> None:
    """Every process in the namespace: SIGTERM and `grace` seconds to go, then SIGKILL."""
    if grace:
        _signal_all(namespace_pids(ns), signal.SIGTERM)
        deadline = time.monotonic() + grace
        while namespace_pids(ns) and time.monotonic() < deadline:
            time.sleep(0.1)
    for _ in range(50):  # a parent can fork between the listing and the kill
        pids = namespace_pids(ns)
        if not pids:
            return
        _signal_all(pids, signal.SIGKILL)
        time.sleep(0.05)


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def destroy_tagged(tag: str, grace: float = 3.0) -> list[str]:
    """Delete the namespaces of run `tag` (and everything running in them); returns their names."""
    names = [line.split()[0] for line in ip("netns", "list", check=False).splitlines() if line]
    mine = [n for n in names if n.startswith(f"{PREFIX}{tag}-")]
    for ns in mine:
        kill_namespace(ns, grace)
    for ns in mine:
        ip("netns", "del", ns, check=False)
    ip("link", "del", f"{PREFIX}{tag}c", check=False)  # the operator's end (deleted with the switch anyway)
    return mine


class Topology:
    def __init__(self, hosts: list[str], tag: str | None = None):
        self.tag = tag or secrets.token_hex(3)
        self.subnet = _free_subnet()
        addresses = list(self.subnet.hosts())
        self.operator = str(addresses[0])  # this process, on the root namespace's link
        self.address = {name: str(addresses[i + 10]) for i, name in enumerate(hosts)}
        self.switch = self.ns("switch")
        self.secret = secrets.token_hex(32)  # the SECRET_KEY every app process of the run shares
        self.built = False

    def ns(self, host: str) -> str:
        return f"{PREFIX}{self.tag}-{host}"

    def build(self) -> "Topology":
        self.built = True
        ip("netns", "add", self.switch)
        ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        ip("-n", self.switch, "link", "set", "br0", "up")
        for host, address in self.address.items():
            ns = self.ns(host)
            ip("netns", "add", ns)
            ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", f"p-{host}", "netns", self.switch)
            self._plug(f"p-{host}")
            ip("-n", ns, "addr", "add", f"{address}/{self.subnet.prefixlen}", "dev", "eth0")
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", "eth0", "up")
        operator_link = f"{PREFIX}{self.tag}c"
        ip("link", "add", operator_link, "type", "veth", "peer", "name", "p-operator", "netns", self.switch)
        self._plug("p-operator")
        ip("addr", "add", f"{self.operator}/{self.subnet.prefixlen}", "dev", operator_link)
        ip("link", "set", operator_link, "up")
        return self

    def _plug(self, port: str) -> None:
        ip("-n", self.switch, "link", "set", port, "master", "br0")
        ip("-n", self.switch, "link", "set", port, "up")

    def cut(self, host: str) -> None:
        """The host's cable pulled: its only link goes down (its processes run on)."""
        ip("-n", self.ns(host), "link", "set", "eth0", "down")

    def heal(self, host: str) -> None:
        ip("-n", self.ns(host), "link", "set", "eth0", "up")

    def kill_host(self, host: str) -> int:
        """Every process on the host, SIGKILL (`ip netns pids NS | xargs kill -9`); how many."""
        count = len(namespace_pids(self.ns(host)))
        kill_namespace(self.ns(host))
        return count

    def spawn(self, host: str, argv: list[str], env: dict, log: Path, cwd: Path) -> subprocess.Popen:
        """A process on the host, its stdout and stderr appended to `log`."""
        with open(log, "ab") as out:
            return subprocess.Popen(
                ["ip", "netns", "exec", self.ns(host), *argv],
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C meant for the drill reaches it, not the hosts
            )

    def run(self, host: str, argv: list[str], env: dict, cwd: Path, timeout: float = 600) -> str:
        done = subprocess.run(
            ["ip", "netns", "exec", self.ns(host), *argv],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"on {host}: {' '.join(argv)} exited {done.returncode}:\n{done.stderr[-3000:]}")
        return done.stdout

    def destroy(self) -> None:
        if self.built:
            destroy_tagged(self.tag)
            self.built = False
