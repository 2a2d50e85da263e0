"""The calls a node's ecallmgr controls.

A call becomes controlled at its ``CHANNEL_PARK`` or when a command for it arrives, and
stops being controlled at its ``CHANNEL_HANGUP_COMPLETE``; only events of controlled
calls enter the pipeline. The set lives in memory (the ESL reader checks it for every
event, without I/O) and is mirrored in the Redis set ``<ns>:node:<name>:controlled`` by the
greenlets that may do I/O, so a restarted or standby process starts with the same set.

A call is never controlled again once its hangup was seen: commands still in flight for
a call whose caller just hung up would otherwise put it back in the set, where it would
stay (the switch will never report on it again). The ids of recently ended calls are
kept for :data:`ENDED_MEMORY` seconds (a command that old is long settled).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator

import redis
from redis.client import Pipeline

ENDED_MEMORY = 600.0
"""Seconds a call that ended is refused as a controlled call again."""


class ControlledCalls:
    """Membership in memory, persistence in Redis (done by the caller, off the reader)."""

    def __init__(self, client: redis.Redis, key: str, clock: Callable[[], float] = time.monotonic):
        self._client = client
        self.key = key
        self._calls: set[str] = set()
        self._ended: OrderedDict[str, float] = OrderedDict()
        self._clock = clock

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._calls

    def __len__(self) -> int:
        return len(self._calls)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._calls))

    def add(self, call_id: str) -> bool:
        """Control ``call_id`` (in memory); True when it was not controlled yet (False too
        when it ended a moment ago: it is not controlled again)."""
        if call_id in self._calls or self.ended_recently(call_id):
            return False
        self._calls.add(call_id)
        return True

    def discard(self, call_id: str) -> None:
        """Stop controlling ``call_id`` (in memory): it ended."""
        self._calls.discard(call_id)
        now = self._clock()
        self._ended[call_id] = now
        self._ended.move_to_end(call_id)
        while self._ended:
            oldest, at = next(iter(self._ended.items()))
            if now - at <= ENDED_MEMORY:
                break
            del self._ended[oldest]

    def ended_recently(self, call_id: str) -> bool:
        """Whether ``call_id`` ended less than :data:`ENDED_MEMORY` seconds ago."""
        at = self._ended.get(call_id)
        return at is not None and self._clock() - at <= ENDED_MEMORY

    def load(self) -> None:
        """Add the set stored in Redis to the one in memory (taking a node over, where
        memory is empty, or taking it back), and store what only memory knew (Redis may
        have lost it)."""
        stored = set(self._client.smembers(self.key))
        only_here = self._calls - stored
        self._calls |= stored
        self.persist(added=only_here)

    def store_all(self) -> None:
        """Write the whole set to Redis again (after Redis lost its data)."""
        self.persist(added=self._calls)

    def persist(
        self, added: Iterable[str] = (), removed: Iterable[str] = (), pipe: Pipeline | None = None
    ) -> None:
        """Mirror additions and removals to Redis in one round trip (queued on ``pipe``,
        a non-transactional pipeline, when given: its owner executes it)."""
        added, removed = list(added), list(removed)
        if not added and not removed:
            return
        target = pipe if pipe is not None else self._client.pipeline(transaction=False)
        if added:
            target.sadd(self.key, *added)
        if removed:
            target.srem(self.key, *removed)
        if pipe is None:
            target.execute()
