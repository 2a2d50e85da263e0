"""Several machines on one: Linux network namespaces joined by a private LAN.

A :class:`Lan` makes an ``infra`` namespace holding a bridge (the LAN's switch, address
``<subnet>.1``) and one namespace per host, each joined to the bridge by a veth pair
(host address ``<subnet>.2``, ``.3``...). Nothing is routed out of the LAN: a host
reaches the other namespaces of its LAN and its own loopback, never the machine's
services on 127.0.0.1. Every namespace is named ``<prefix>-<name>`` with a random
prefix, so tests run side by side.

Processes go into a namespace through ``ip netns exec`` (:func:`netns_command`); this
process reaches into one for a moment with :func:`inside` (a socket keeps the namespace
it was made in, so open it inside and use it anywhere). Needs root (``CAP_SYS_ADMIN``).

>>> with Lan(["host-a", "host-b"]) as lan:
...     lan.address("host-a")  # '10.211.0.2'
...     lan.kill("host-a")     # SIGKILL whatever runs in it, then delete it
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from kazoo_tasks.testing.lifecycle import Started

CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")
INFRA = "infra"
BRIDGE = "br0"
HOST_LINK = "eth0"
"""The host's end of its veth pair, inside the host's namespace."""

_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"setns: {os.strerror(errno)}")


@contextmanager
def inside(netns: str | None) -> Iterator[None]:
    """Run the block with this thread in the network namespace ``netns`` (None: where it
    is). Sockets created in the block belong to ``netns`` for their whole life; threads
    started in it begin there. Other threads of this process are not affected."""
    if netns is None:
        yield
        return
    with open("/proc/thread-self/ns/net") as home, open(NETNS_DIR / netns) as target:
        _setns(target.fileno())
        try:
            yield
        finally:
            _setns(home.fileno())


def netns_command(netns: str | None, command: Sequence[str]) -> list[str]:
    """``command`` run in ``netns`` (``ip netns exec`` execs it: same pid), or as is."""
    return ["ip", "netns", "exec", netns, *command] if netns else list(command)


def ip(*args: str) -> str:
    """Run ``ip ARGS``; raises with its error output when it fails."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def pids_in(netns: str) -> list[int]:
    """Pids of the processes that live in ``netns`` (never this one)."""
    if not (NETNS_DIR / netns).exists():
        return []
    return [int(pid) for pid in ip("netns", "pids", netns).split() if int(pid) != os.getpid()]


def kill_namespace(netns: str) -> list[int]:
    """SIGKILL every process in ``netns``, then delete it (its links go with it once the
    last socket made in it is closed); returns the pids killed."""
    killed = pids_in(netns)
    for pid in killed:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if (NETNS_DIR / netns).exists():
        ip("netns", "delete", netns)
    return killed


def _local_mac() -> str:
    """A random unicast, locally administered MAC address."""
    octets = [0x02, *uuid.uuid4().bytes[:5]]
    return ":".join(f"{octet:02x}" for octet in octets)


class Lan(Started):
    """An ``infra`` namespace with a bridge, and one namespace per host on it."""

    def __init__(self, hosts: Sequence[str], *, subnet: str = "10.211.0") -> None:
        self.prefix = f"kt{uuid.uuid4().hex[:6]}"
        self.subnet = subnet
        self.hosts = list(hosts)
        self.made: list[str] = []

    def netns(self, name: str) -> str:
        """The namespace of ``name`` (a host, or ``infra``)."""
        return f"{self.prefix}-{name}"

    def address(self, name: str) -> str:
        """The LAN address of ``name``: ``.1`` for ``infra``, then the hosts in order."""
        index = 1 if name == INFRA else self.hosts.index(name) + 2
        return f"{self.subnet}.{index}"

    def _add_namespace(self, name: str) -> str:
        netns = self.netns(name)
        ip("netns", "add", netns)
        self.made.append(netns)
        ip("-n", netns, "link", "set", "lo", "up")
        return netns

    def start(self) -> Lan:
        """Make the namespaces, the bridge and the links (all up)."""
        try:
            infra = self._add_namespace(INFRA)
            # a fixed address: a bridge left to itself takes its lowest port's, so deleting a
            # dead host's port could change the LAN's MAC under the living hosts (they lose
            # the infra services until they ask ARP again); a real switch never does that
            ip("-n", infra, "link", "add", BRIDGE, "address", _local_mac(), "type", "bridge")
            ip("-n", infra, "addr", "add", f"{self.address(INFRA)}/24", "dev", BRIDGE)
            ip("-n", infra, "link", "set", BRIDGE, "up")
            for index, host in enumerate(self.hosts):
                netns = self._add_namespace(host)
                port = f"v{index}"
                ip("link", "add", HOST_LINK, "netns", netns, "type", "veth",
                   "peer", "name", port, "netns", infra)  # fmt: skip
                ip("-n", infra, "link", "set", port, "master", BRIDGE, "up")
                ip("-n", netns, "addr", "add", f"{self.address(host)}/24", "dev", HOST_LINK)
                ip("-n", netns, "link", "set", HOST_LINK, "up")
        except BaseException:
            self.stop()
            raise
        return self

    def kill(self, host: str) -> list[int]:
        """The host dies whole: every process in its namespace SIGKILLed, the namespace
        (and its link) deleted. Returns the pids killed."""
        netns = self.netns(host)
        killed = kill_namespace(netns)
        if netns in self.made:
            self.made.remove(netns)
        return killed

    def stop(self) -> None:
        """Kill whatever still runs in the namespaces and delete them all."""
        for netns in reversed(self.made):
            kill_namespace(netns)
        self.made.clear()
