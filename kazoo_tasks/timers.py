"""Call timers: a Redis sorted set of armed timers, drained into the calls' inboxes.

A callflow node arms a timer through its context (``ctx.start_timer``); the navigator
puts an *arm* entry in the step's outbox, so the timer exists only once the step that
armed it is committed (a fenced or discarded step arms nothing), and a re-run of an
uncommitted step arms the same timer id (:func:`timer_id`, deterministic like command
ids). After the commit the publisher applies the entry to the **wheel**, one sorted set
per namespace (``<ns>:timers``): the member names the call, its node, the timer id and
name; the score is the time it is due.

Every worker process runs a :class:`TimerDrainer` in its event loop
(:class:`TimerDrainStep`, every ``Settings.timer_interval`` seconds). A drain *claims*
the due members with one Lua script that pushes their score ``Settings.timer_claim_ttl``
seconds into the future (so concurrent drainers do not take the same ones), appends a
``TIMER_FIRED`` event to each call's inbox, sends ``handle_events`` for each call, then
removes the members. A drainer that dies between claim and removal leaves its members to
come due again when the claim expires: a timer may be delivered twice, never lost. The
navigator applies a ``TIMER_FIRED`` under the call's lock, in inbox order, only if the
timer is still armed at the current node (it forgets the timer as it applies it), so a
duplicate, or a timer that fires after its node moved on or after the call ended, is
ignored. docs/architecture.md compares this with Celery countdown tasks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis
from celery import Celery, bootsteps
from kombu import Producer

from kazoo_tasks import inbox
from kazoo_tasks.bus import EVENTS_TASK
from kazoo_tasks.config import Settings
from kazoo_tasks.events import CallEvent
from kazoo_tasks.services import new_redis_client
from kazoo_tasks.task_sender import TaskSender

log = logging.getLogger(__name__)

TIMER_FIRED = "TIMER_FIRED"
"""Name of the synthetic event a due timer delivers to its call's inbox."""
MAX_TIMER_SECONDS = 86_400.0
"""Longest timer (a day; a call lives ``Settings.call_ttl`` at most anyway)."""
CLAIM_BATCH = 200
"""Timers claimed per round trip; a drain takes at most :data:`MAX_BATCHES_PER_DRAIN`."""
MAX_BATCHES_PER_DRAIN = 10
_TIMER_NAMESPACE = uuid.UUID("0b6f3f0e-7a2d-4c1e-b5a8-2f1d9c4e7a63")

_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES',
                       'LIMIT', 0, tonumber(ARGV[3]))
for i = 1, #due, 2 do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], due[i]) end
return due
"""


def timer_id(call_id: str, seq: int) -> str:
    """The id of the call's ``seq``-th timer: the same however often the step re-runs."""
    return str(uuid.uuid5(_TIMER_NAMESPACE, f"{call_id}#timer#{seq}"))


def wheel_key(namespace: str) -> str:
    """The sorted set of armed timers of a namespace."""
    return f"{namespace}:timers"


@dataclass(frozen=True)
class ArmedTimer:
    """One timer in the wheel: whose it is and when it is due (epoch seconds)."""

    call_id: str
    node: str
    timer_id: str
    name: str
    due_at: float

    @property
    def member(self) -> str:
        """The wheel member naming this timer (its score is ``due_at``)."""
        return json.dumps([self.call_id, self.node, self.timer_id, self.name])

    @classmethod
    def from_member(cls, member: str, due_at: float) -> ArmedTimer:
        call_id, node, ident, name = json.loads(member)
        return cls(call_id, node, ident, name, due_at)

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> ArmedTimer:
        """The timer an outbox entry (``{"type": "timer", ...}``) names."""
        return cls(entry["call_id"], entry["node"], entry["id"], entry["name"], entry["due_at"])

    def outbox_entry(self, op: str) -> dict[str, Any]:
        """The outbox entry that arms (``op`` "arm") or disarms ("disarm") this timer."""
        return {
            "type": "timer",
            "op": op,
            "call_id": self.call_id,
            "node": self.node,
            "id": self.timer_id,
            "name": self.name,
            "due_at": self.due_at,
        }


def fired_event(timer: ArmedTimer, now: float) -> CallEvent:
    """The ``TIMER_FIRED`` event ``timer`` delivers (sequence 0: synthetic)."""
    return {
        "name": TIMER_FIRED,
        "call_id": timer.call_id,
        "node": timer.node,
        "timestamp": now,
        "sequence": 0,
        "received_at": now,
        "headers": {"Event-Name": TIMER_FIRED, "Unique-ID": timer.call_id},
        "timer_id": timer.timer_id,
        "timer_name": timer.name,
        "due_at": timer.due_at,
    }


class TimerWheel:
    """The armed timers of one namespace (client with ``decode_responses=True``)."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._key = wheel_key(settings.namespace)
        self._claim_ttl = settings.timer_claim_ttl
        self._claim = client.register_script(_CLAIM)

    def apply(self, entries: list[dict[str, Any]]) -> None:
        """Apply committed outbox timer entries (arm: ZADD, disarm: ZREM), in one round
        trip. Both are idempotent: an entry applied twice changes nothing."""
        pipe = self._client.pipeline(transaction=False)
        for entry in entries:
            timer = ArmedTimer.from_entry(entry)
            if entry["op"] == "arm":
                pipe.zadd(self._key, {timer.member: timer.due_at})
            else:
                pipe.zrem(self._key, timer.member)
        pipe.execute()

    def claim(self, now: float, limit: int = CLAIM_BATCH) -> list[ArmedTimer]:
        """Take up to ``limit`` timers due at ``now``: they stay in the wheel, due again
        ``Settings.timer_claim_ttl`` seconds later unless :meth:`remove` drops them."""
        reply = self._claim(keys=[self._key], args=[now, now + self._claim_ttl, limit])
        return [
            ArmedTimer.from_member(member, float(score))
            for member, score in zip(reply[::2], reply[1::2], strict=True)
        ]

    def remove(self, timers: list[ArmedTimer]) -> None:
        """Drop delivered timers."""
        if timers:
            self._client.zrem(self._key, *(t.member for t in timers))

    def close(self) -> None:
        """Close the Redis client's connections."""
        self._client.close()

    def armed(self) -> int:
        """How many timers are armed (operators: a gauge worth watching)."""
        return int(self._client.zcard(self._key))

    def timers(self) -> list[ArmedTimer]:
        """Every armed timer, soonest first (operators and tests)."""
        rows = self._client.zrange(self._key, 0, -1, withscores=True)
        return [ArmedTimer.from_member(member, float(score)) for member, score in rows]


class TimerDrainer:
    """Moves due timers into their calls' inboxes (one per worker process)."""

    def __init__(self, client: redis.Redis, app: Celery, settings: Settings) -> None:
        self._client = client
        self._app = app
        self._settings = settings
        self.wheel = TimerWheel(client, settings)
        self._sender = TaskSender(app, EVENTS_TASK)
        self._producer: Producer | None = None
        self._failing_since: float | None = None

    def drain(self, now: float | None = None) -> int:
        """Deliver every timer due now; returns how many were delivered."""
        delivered = 0
        for _ in range(MAX_BATCHES_PER_DRAIN):
            at = time.time() if now is None else now
            due = self.wheel.claim(at)
            if not due:
                break
            self.deliver(due, at)
            self.wheel.remove(due)
            delivered += len(due)
            if len(due) < CLAIM_BATCH:
                break
        return delivered

    def deliver(self, due: list[ArmedTimer], now: float) -> None:
        """Append a TIMER_FIRED for each timer to its call's inbox (one round trip) and
        send ``handle_events`` once per call; the caller removes them from the wheel."""
        inbox.append_many(self._client, self._settings, [fired_event(t, now) for t in due])
        if self._producer is None:
            self._producer = Producer(self._app.connection_for_write())
        for call_id in dict.fromkeys(t.call_id for t in due):
            self._sender.send(self._producer, call_id)

    def close(self) -> None:
        """Drop the broker connection (made again on the next delivery)."""
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                producer.connection.close()

    def tick(self) -> None:
        """One drain from the worker's event loop; failures are logged (once per outage)
        and retried on the next tick, nothing is lost (claimed timers come due again)."""
        try:
            self.drain()
        except Exception:
            if self._failing_since is None:
                self._failing_since = time.monotonic()
                log.exception("timer drain failed; retrying every tick")
            self.close()
            return
        if self._failing_since is not None:
            log.info("timer drain recovered after %.1fs", time.monotonic() - self._failing_since)
            self._failing_since = None


class TimerDrainStep(bootsteps.StartStopStep):
    """Worker consumer bootstep: a :class:`TimerDrainer` on the consumer's timer (the
    worker's event loop in the main process; no thread, nothing to fork)."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._tref: Any = None
        self._drainer: TimerDrainer | None = None

    def start(self, parent: Any) -> None:
        app = parent.app
        settings: Settings = app.kazoo_settings
        client = new_redis_client(settings, socket_timeout=2, socket_connect_timeout=2)
        self._drainer = TimerDrainer(client, app, settings)
        self._tref = parent.timer.call_repeatedly(settings.timer_interval, self._drainer.tick)

    def stop(self, parent: Any) -> None:
        if self._tref is not None:
            self._tref.cancel()
            self._tref = None
        if self._drainer is not None:
            self._drainer.close()
            self._drainer.wheel.close()
            self._drainer = None

    shutdown = stop
