"""Counters of one node's ecallmgr: kept in memory, flushed to Redis for ops and tests.

The hash ``<ns>:node:<name>:stats`` (see docs/ecallmgr.md for every field) is written
once a second by the process that holds the node's lease; a log line summarises it
every minute. The same flush moves the counters into the Prometheus metrics
(:class:`MetricsExport`): the ESL reader, which counts every event, only ever adds to a
dict.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

import gevent
import redis

from kazoo_tasks.metrics import (
    CALLS_ACTIVE,
    ESL_COMMANDS,
    ESL_EVENTS,
    ESL_EVENTS_DROPPED,
    ESL_EVENTS_PUBLISHED,
    HANDOFF_DEPTH,
    HANDOFF_HIGH_WATER,
)
from kazoo_tasks.services import REDIS_ERRORS

log = logging.getLogger(__name__)

READ_PREFIX = "events.read."
"""Counter ``events.read.<Event-Name>``: events read from the socket, by name."""
PUBLISHED_PREFIX = "events.published."
"""Counter ``events.published.<Event-Name>``: call events stored and announced, by name."""
DROPPED_PREFIX = "handoff.dropped."
"""Counter ``handoff.dropped.<Event-Name>``: events the full hand-off lost, by name."""

COMMAND_OUTCOMES = {
    "commands.sent": "sent",
    "commands.invalid": "refused",
    "commands.failed": "failed",
    "commands.timed_out": "timed_out",
    "commands.lost": "lost",
    "commands.duplicate": "duplicate",
    "commands.requeued": "requeued",
}
"""Command counters → the ``outcome`` label of ``kazoo_esl_commands_total``."""

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


class MetricsExport:
    """Moves one node's :class:`NodeStats` into the Prometheus metrics: counters by what
    they gained since the last export, gauges as they are."""

    _FAMILIES = (
        (READ_PREFIX, ESL_EVENTS),
        (PUBLISHED_PREFIX, ESL_EVENTS_PUBLISHED),
        (DROPPED_PREFIX, ESL_EVENTS_DROPPED),
    )

    def __init__(self, node: str, stats: NodeStats) -> None:
        self.node = node
        self.stats = stats
        self._exported: dict[str, float] = {}

    def export(self) -> None:
        """Bring the metrics up to date with the counters."""
        node = self.node
        for name, count in list(self.stats.counts.items()):
            gained = count - self._exported.get(name, 0)
            if gained <= 0:
                continue
            if name in COMMAND_OUTCOMES:
                ESL_COMMANDS.labels(node, COMMAND_OUTCOMES[name]).inc(gained)
            else:
                for prefix, metric in self._FAMILIES:
                    if name.startswith(prefix):
                        metric.labels(node, name[len(prefix) :]).inc(gained)
                        break
            self._exported[name] = count
        gauges = self.stats.gauges
        HANDOFF_DEPTH.labels(node).set(gauges.get("handoff.depth", 0))
        HANDOFF_HIGH_WATER.labels(node).set(gauges.get("handoff.high_water", 0))
        CALLS_ACTIVE.labels(node).set(gauges.get("controlled.calls", 0))

    def clear(self) -> None:
        """This process no longer serves the node: its gauges drop to zero."""
        HANDOFF_DEPTH.labels(self.node).set(0)
        CALLS_ACTIVE.labels(self.node).set(0)


def flush_forever(
    stats: NodeStats, client: redis.Redis, key: str, owner: str, export: MetricsExport
) -> None:
    """Write ``stats`` to the Redis hash ``key`` and to the metrics every second (run in
    a greenlet)."""
    last_log = time.monotonic()
    while True:
        gevent.sleep(FLUSH_INTERVAL)
        export.export()
        values = stats.snapshot()
        try:
            pipe = client.pipeline(transaction=False)
            pipe.hset(key, mapping={"owner": owner, "updated_at": time.time(), **values})
            pipe.expire(key, STATS_TTL)
            pipe.execute()
        except REDIS_ERRORS as exc:
            log.warning("cannot write stats to Redis: %s", exc)
        if time.monotonic() - last_log >= LOG_INTERVAL:
            last_log = time.monotonic()
            log.info("stats %s: %s", key, " ".join(f"{k}={v}" for k, v in sorted(values.items())))
