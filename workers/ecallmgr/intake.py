"""Event intake: what the ESL reader does with each event, and the bounded hand-off.

The reader greenlet calls :meth:`EventIntake.offer` for every ``text/event-plain`` body.
``offer`` never does I/O and never blocks: it peeks at three headers in the raw bytes
(``Event-Name``, ``Event-Subclass``, ``Unique-ID``), keeps the controlled-call set up to
date, drops what the pipeline does not need and queues the rest on one of a few bounded
shards (a call always maps to the same shard, so its events stay in order). The
publisher greenlets (:mod:`.publisher`) take them from there.

**When the hand-off is full the event is dropped, never waited for** (loss, not
backpressure). A reader that waits stops reading its socket; FreeSWITCH then queues
every event of every call for this listener and, past its limit, drops the whole
listener. Losing the overflow of a flood is the smaller harm, and it is counted
(``handoff.dropped`` and ``handoff.dropped.<EVENT>``). A ``CHANNEL_PARK`` that cannot be
queued is not taken into control (the call is shed, the switch keeps it parked).
"""

from __future__ import annotations

import logging
import time
from typing import Any, NamedTuple
from urllib.parse import unquote

from gevent.event import AsyncResult
from gevent.queue import Full, Queue

from kazoo_tasks.events import (
    LEG_EVENTS,
    ORIGINATING_LEG_HEADER,
    PIPELINE_CUSTOM_EVENTS,
    PIPELINE_EVENTS,
    CallEvent,
    inbox_of,
)
from kazoo_tasks.stages import stamp
from workers.ecallmgr.controlled import ControlledCalls
from workers.ecallmgr.stats import READ_PREFIX, NodeStats

log = logging.getLogger(__name__)

SHARDS = 4
"""Publisher greenlets per node: enough to overlap Redis and broker round trips."""

PARK = "CHANNEL_PARK"
HANGUP_COMPLETE = "CHANNEL_HANGUP_COMPLETE"

_CALL_EVENTS = frozenset(PIPELINE_EVENTS)
_REGISTRATION_EVENTS = frozenset(PIPELINE_CUSTOM_EVENTS)
_NAME = b"Event-Name: "
_SUBCLASS = b"Event-Subclass: "
_UNIQUE_ID = b"Unique-ID: "
_ORIGINATING_LEG = ORIGINATING_LEG_HEADER.encode() + b": "
_LEG_EVENTS = frozenset(LEG_EVENTS)


class Handoff(NamedTuple):
    """One item between the reader (or a command/reconcile greenlet) and a publisher.

    ``kind`` is ``event`` (``payload``: the raw plain body of a call event),
    ``registration`` (``payload``: the raw body of a switch-wide ``CUSTOM`` event:
    sofia::(un)register, conference::maintenance),
    ``synthetic`` (``payload``: a ready :class:`CallEvent`, ``done`` set once stored),
    ``replay`` (the same, for an event stored again after Redis lost data) or ``wake``
    (no payload: only the task that makes a worker drain the call's inbox).
    """

    kind: str
    name: str
    call_id: str
    payload: Any
    received_at: float
    done: AsyncResult | None = None
    leg_of: str = ""
    """For the event of a B leg: the controlled call (A leg) whose inbox it goes to."""


def peek_header(body: bytes, name: bytes, end: int) -> str | None:
    """The decoded value of header ``name`` (with its ``": "``) in ``body[:end]``."""
    if body.startswith(name):
        start = len(name)
    else:
        found = body.find(b"\n" + name, 0, end)
        if found < 0:
            return None
        start = found + 1 + len(name)
    stop = body.find(b"\n", start, end)
    raw = body[start : end if stop < 0 else stop]
    text = raw.decode("utf-8", "replace")
    return unquote(text) if b"%" in raw else text


class EventIntake:
    """Reader-side filtering and the sharded, bounded queues the publishers drain."""

    def __init__(
        self, controlled: ControlledCalls, stats: NodeStats, capacity: int, shards: int = SHARDS
    ):
        if capacity < shards:
            raise ValueError(f"hand-off capacity {capacity} is below {shards} shards")
        self.parked_at: dict[str, float] = {}
        """When each controlled call's park was read, until its first command is written
        (the setup latency, :data:`~kazoo_tasks.metrics.CALL_SETUP`)."""
        self.controlled = controlled
        self.stats = stats
        self.capacity = capacity
        self.queues: list[Queue] = [Queue(maxsize=capacity // shards) for _ in range(shards)]

    def depth(self) -> int:
        """Items waiting in the hand-off."""
        return sum(q.qsize() for q in self.queues)

    def _shard(self, key: str) -> Queue:
        return self.queues[hash(key) % len(self.queues)]

    def offer(self, body: bytes, received_at: float) -> None:
        """Classify one plain event body from the reader; queue it if needed. Never blocks."""
        stats = self.stats
        stats.incr("reader.events")
        end = body.find(b"\n\n")
        if end < 0:
            end = len(body)
        name = peek_header(body, _NAME, end)
        if not name:
            stats.incr("events.malformed")
            log.warning("event without Event-Name dropped: %.200r", body)
            return
        stats.incr(READ_PREFIX + name)
        if name == "CUSTOM":
            subclass = peek_header(body, _SUBCLASS, end) or ""
            if subclass in _REGISTRATION_EVENTS:
                self._put(Handoff("registration", subclass, "", body, received_at), subclass)
            else:
                stats.incr("events.unneeded")
            return
        if name not in _CALL_EVENTS:
            stats.incr("events.unneeded")
            return
        call_id = peek_header(body, _UNIQUE_ID, end)
        if not call_id:  # BACKGROUND_JOB: we send no bgapi, so no job is ours
            stats.incr("events.uncontrolled")
            return
        if name == PARK:
            stamp("read", call_id)
            if self._put(Handoff("event", name, call_id, body, received_at), call_id):
                self.controlled.add(call_id)
                self.parked_at[call_id] = received_at
            return
        if call_id not in self.controlled:
            parent = peek_header(body, _ORIGINATING_LEG, end) if name in _LEG_EVENTS else None
            controlled = self.controlled
            if parent and (parent in controlled or controlled.ended_recently(parent)):
                # a B leg of one of our calls (which may have hung up a moment before it)
                self._put(Handoff("event", name, call_id, body, received_at, leg_of=parent), parent)
                return
            stats.incr("events.uncontrolled")
            return
        if name == HANGUP_COMPLETE:
            self.controlled.discard(call_id)
            self.parked_at.pop(call_id, None)
        self._put(Handoff("event", name, call_id, body, received_at), call_id)

    def _put(self, item: Handoff, key: str) -> bool:
        queue = self._shard(key)
        try:
            queue.put_nowait(item)
        except Full:
            self.stats.incr("handoff.dropped")
            self.stats.incr(f"handoff.dropped.{item.name}")
            if self.stats.counts["handoff.dropped"] % 1000 == 1:
                log.error(
                    "hand-off full (%d events): dropped %s of %s (%d dropped so far)",
                    self.capacity,
                    item.name,
                    item.call_id or "-",
                    self.stats.counts["handoff.dropped"],
                )
            return False
        self.stats.incr("events.queued")
        self.stats.high_water("handoff.high_water", self.depth())
        return True

    def submit(self, event: CallEvent, kind: str = "synthetic") -> AsyncResult:
        """Queue an event made by ecallmgr (not the reader): waits for room, never drops.
        ``kind`` ``replay``: an event published before, stored again in the call's inbox
        (after Redis lost data) without touching the controlled calls.

        The returned result is set once the event is stored in the call's inbox.
        """
        done = AsyncResult()
        item = Handoff(kind, event["name"], event["call_id"], event, event["received_at"], done)
        self._shard(inbox_of(event)).put(item)
        return done

    def wake(self, call_id: str) -> None:
        """Queue a ``handle_events`` task for ``call_id`` (after a takeover: an event the
        previous ecallmgr stored but died before announcing is drained by it)."""
        self._shard(call_id).put(Handoff("wake", "", call_id, None, time.time()))
