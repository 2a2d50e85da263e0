"""Figures of a benchmark run: percentiles, CPU time of processes, stage breakdowns."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q``-th percentile (0 < q <= 100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float | None) -> float | None:
    """Seconds as milliseconds rounded to 0.01 ms."""
    return None if seconds is None else round(seconds * 1000, 2)


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU time of ``pids`` (processes that are gone count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / _TICKS


def own_cpu_seconds() -> float:
    """CPU time of this process (the emulator thread runs here)."""
    times = os.times()
    return times.user + times.system


def listening_pids(port: int) -> list[int]:
    """Processes with a TCP socket listening on ``port`` on this machine (how the bench
    finds the broker's and Redis's processes to count their CPU); empty when the service
    runs elsewhere or the socket table cannot be read."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # LISTEN
                inodes.add(f"socket:[{inode}]")
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def own_cpu_ratio(cpu_used: dict[str, float]) -> float | None:
    """The CPU our own roles spent (ecallmgr, workers, changes) over what the emulator
    spent on the same calls: a cost figure that survives the machine's speed."""
    emulator = cpu_used.get("emulator") or 0.0
    ours = sum(cpu_used.get(role, 0.0) for role in ("ecallmgr", "workers", "changes"))
    return round(ours / emulator, 2) if emulator > 0 else None


def service_label(url: str) -> str:
    """A URL without credentials: scheme and where (``amqp://127.0.0.1:5672``)."""
    parts = urlsplit(url)
    if parts.scheme in ("unix", "redis+socket"):
        return f"{parts.scheme} (embedded)"
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}:{parts.port}" if parts.port else f"{parts.scheme}://{host}"


STAGES = ("park", "read", "appended", "notified", "task", "routed", "committed", "published",
          "consumed", "writing", "command")  # fmt: skip
"""Setup stages in pipeline order: the emulator fires CHANNEL_PARK (park), ecallmgr reads
it (read), appends it to the inbox (appended), sends handle_events (notified); a worker
starts the task (task), routes the call (routed), commits (committed), publishes the
answer command (published); ecallmgr consumes it (consumed), claims it and writes the
frame (writing); the emulator receives it (command)."""


def stage_breakdown(timelines: Iterable[dict[str, float]]) -> dict[str, dict[str, float | None]]:
    """p50/p99 milliseconds spent between consecutive stages, over the calls that have both."""
    deltas: dict[str, list[float]] = {}
    for timeline in timelines:
        for before, after in zip(STAGES, STAGES[1:], strict=False):
            if before in timeline and after in timeline:
                deltas.setdefault(f"{before}>{after}", []).append(
                    timeline[after] - timeline[before]
                )
    return {
        step: {"p50": ms(percentile(values, 50)), "p99": ms(percentile(values, 99))}
        for step, values in deltas.items()
    }
