"""Counters of one node's ecallmgr: kept in memory, flushed to Redis for ops and tests.

The hash ``<ns>:node:<name>:stats`` (see docs/ecallmgr.md for every field) is written
once a second by the process that holds the node's lease; a log line summarises it
every minute.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

import gevent
import redis

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 1.0
LOG_INTERVAL = 60.0
STATS_TTL = 24 * 3600


class NodeStats:
    """Monotonic counters plus a few gauges (current values and high-water marks)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.gauges: dict[str, float] = {}
        self.reader_max_gap = 0.0
        self.reader_max_gap_cpu = 0.0

    def incr(self, name: str, amount: int = 1) -> None:
        """Add ``amount`` to counter ``name``."""
        self.counts[name] += amount

    def gauge(self, name: str, value: float) -> None:
        """Set gauge ``name`` to its current ``value``."""
        self.gauges[name] = value

    def high_water(self, name: str, value: float) -> None:
        """Raise gauge ``name`` to ``value`` if that is higher than what it holds."""
        if value > self.gauges.get(name, 0):
            self.gauges[name] = value

    def observe_reader_gap(self, seconds: float, cpu_seconds: float) -> None:
        """Record how long the ESL reader was away from its socket between two reads
        (wall clock), and how much CPU this process used meanwhile: a wall gap much longer
        than its CPU time means the OS ran something else, not that we stalled."""
        if seconds > self.reader_max_gap:
            self.reader_max_gap = seconds
        if cpu_seconds > self.reader_max_gap_cpu:
            self.reader_max_gap_cpu = cpu_seconds

    def snapshot(self) -> dict[str, float]:
        """Every counter and gauge, with ``reader.max_gap_ms`` and ``reader.max_gap_cpu_ms``."""
        values: dict[str, float] = dict(self.counts)
        values.update(self.gauges)
        values["reader.max_gap_ms"] = round(self.reader_max_gap * 1000, 3)
        values["reader.max_gap_cpu_ms"] = round(self.reader_max_gap_cpu * 1000, 3)
        return values


def flush_forever(stats: NodeStats, client: redis.Redis, key: str, owner: str) -> None:
    """Write ``stats`` to the Redis hash ``key`` every second (run in a greenlet)."""
    last_log = time.monotonic()
    while True:
        gevent.sleep(FLUSH_INTERVAL)
        values = stats.snapshot()
        try:
            pipe = client.pipeline(transaction=False)
            pipe.hset(key, mapping={"owner": owner, "updated_at": time.time(), **values})
            pipe.expire(key, STATS_TTL)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("cannot write stats to Redis: %s", exc)
        if time.monotonic() - last_log >= LOG_INTERVAL:
            last_log = time.monotonic()
            log.info("stats %s: %s", key, " ".join(f"{k}={v}" for k, v in sorted(values.items())))
