"""Draining a call's inbox: the body of the ``kazoo.call.handle_events`` task.

One worker at a time works on a call (the call's lock). It publishes what a dead
predecessor left in the outbox, applies the unread inbox entries in stream order through
the navigator, commits record + cursor + outbox in one fenced step, publishes the outbox,
trims it, releases the lock, and looks at the inbox tail again (an event may have arrived
while it held the lock, and that event's task found the lock taken). The trim rides on
the next commit or on the release, so a one-event step costs three Redis round trips
(:mod:`kazoo_tasks.callstate.store`).
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from typing import Any

import redis
from celery import Celery
from kombu import Producer, Queue

from callflow.cdr_spool import CdrSpool, cdr_spool
from callflow.context import call_clock_from
from callflow.exe import Environment, Navigator
from kazoo_tasks import logs
from kazoo_tasks.bus import (
    WRITE_CDRS_TASK,
    command_exchange,
    command_queue,
    publish_timeouts,
    undeclared,
)
from kazoo_tasks.callstate import STATUS_ENDED, ActiveCalls, CallStore, InboxEntry, Locked
from kazoo_tasks.callstate.record import node_path
from kazoo_tasks.callstate.store import now
from kazoo_tasks.stages import stamp
from kazoo_tasks.task_sender import TaskSender
from kazoo_tasks.timers import TimerWheel

log = logging.getLogger(__name__)

BATCH = 50
"""Inbox entries applied per commit."""


@dataclass(frozen=True)
class Busy:
    """Another worker holds the call; try again after ``retry_in`` seconds."""

    retry_in: float


@dataclass(frozen=True)
class Done:
    """The inbox is drained (``applied`` entries applied by this run)."""

    applied: int


@dataclass(frozen=True)
class Fenced:
    """The lock expired under this worker: its last step was discarded."""


class Publisher:
    """Sends outbox entries: call commands to the node's queue, tasks to Celery, timers
    to the timer wheel (:mod:`kazoo_tasks.timers`), CDRs to the CDR spool
    (:mod:`callflow.cdr_spool`).

    Each thread keeps one producer, on a broker connection of its own, for its whole
    life: taking one from Celery's pool for every step cost a quarter of the publish. (Not
    from that pool: it is shared by every app of the process and would run dry where
    threads come and go.) A lost connection is re-established by the producer's retry.
    """

    def __init__(self, app: Celery, timers: TimerWheel, cdrs: CdrSpool) -> None:
        self._app = app
        self._timers = timers
        self._cdrs = cdrs
        self._ns = app.kazoo_settings.namespace  # type: ignore[attr-defined]
        self._queue_type = app.kazoo_settings.broker_queue_type  # type: ignore[attr-defined]
        confirm_timeout = app.kazoo_settings.broker_confirm_timeout  # type: ignore[attr-defined]
        self._bounds = publish_timeouts(confirm_timeout)
        self._exchange = command_exchange(self._ns)
        self._local = threading.local()
        self._senders: dict[str, TaskSender] = {}

    def _producer(self) -> Producer:
        producer = getattr(self._local, "producer", None)
        if producer is None:
            connection = self._app.connection_for_write()
            producer = self._local.producer = Producer(connection)
        return producer

    def publish(self, entries: list[dict[str, Any]]) -> None:
        """Publish ``entries`` in order (raises if the broker or Redis refuses)."""
        timers = [entry for entry in entries if entry["type"] == "timer"]
        if timers:  # idempotent, so their order against the messages does not matter
            self._timers.apply(timers)
        producer = self._producer()
        cdrs = [entry["cdr"] for entry in entries if entry["type"] == "cdr"]
        if cdrs:  # spooled twice (a republished outbox), stored once: the id is the call's
            self._spool(producer, cdrs)
        for entry in entries:
            if entry["type"] in ("timer", "cdr"):
                continue
            if entry["type"] == "command":
                command = entry["command"]
                queue = _command_queue(self._ns, command["node"], self._queue_type)
                producer.publish(
                    command,
                    exchange=self._exchange,
                    routing_key=command["node"],
                    declare=undeclared(producer, queue),
                    serializer="json",
                    delivery_mode=2,
                    retry=True,
                    **self._bounds,
                )
            else:
                sender = self._senders.get(entry["name"])
                if sender is None:
                    sender = self._senders[entry["name"]] = TaskSender(self._app, entry["name"])
                sender.send(producer, *entry["args"])

    def _spool(self, producer: Producer, cdrs: list[dict[str, Any]]) -> None:
        """Push ``cdrs`` on the spool; the push that finds no flush scheduled sends it."""
        if self._cdrs.push(cdrs):
            self._app.send_task(
                WRITE_CDRS_TASK,
                countdown=self._cdrs.flush_delay,
                ignore_result=True,
                producer=producer,
                **self._bounds,
            )


@functools.cache
def _command_queue(namespace: str, node: str, queue_type: str) -> Queue:
    return command_queue(namespace, node, queue_type)


class CallRunner:
    """Drains call inboxes for one worker process."""

    def __init__(
        self, client: redis.Redis, app: Celery, env: Environment, publisher: Publisher
    ) -> None:
        self.client = client
        self.store = CallStore(client, env.settings)
        self.active = ActiveCalls(client, env.settings)
        self.env = env
        self.publisher = publisher

    def drain(self, call_id: str) -> Busy | Done | Fenced:
        """Apply every unread event of the call, or report why this worker cannot."""
        applied = 0
        while True:
            held = self.store.begin(call_id, BATCH)
            if isinstance(held, Locked):
                if applied:  # the holder took over after our release: it re-checks the tail
                    return Done(applied)
                return Busy(held.remaining + 0.05)
            record, entries = held.state, held.entries
            untrimmed = 0  # outbox entries published and not removed yet
            pipe = self.client.pipeline(transaction=False)
            try:
                if held.outbox:
                    log.info(
                        "call %s: publishing %d entries a previous worker left",
                        call_id,
                        len(held.outbox),
                    )
                    self.publisher.publish(held.outbox)
                    untrimmed = len(held.outbox)
                stepped = False
                while entries:
                    step = self._step(call_id, held.token, record, entries, untrimmed)
                    if step is None:
                        return Fenced()
                    untrimmed = 0  # the commit removed them
                    applied += len(entries)
                    stepped = True
                    record, entries, outbox = step
                    if outbox:
                        self.publisher.publish(outbox)
                        stamp("published", call_id)
                        untrimmed = len(outbox)
                if stepped and record is not None:  # the reaper's index, under our lock
                    if record["status"] == STATUS_ENDED:
                        self.active.forget(call_id, record["node"], pipe)
                    else:
                        self.active.touch(call_id, record["node"], self.env.now(), pipe)
            finally:
                finished = self.store.finish(call_id, held.token, untrimmed, pipe)
            if not finished.held:
                return Fenced()
            if not finished.unread:
                return Done(applied)

    def _step(
        self,
        call_id: str,
        token: str,
        record: dict[str, Any] | None,
        entries: list[InboxEntry],
        untrimmed: int,
    ) -> tuple[dict[str, Any] | None, list[InboxEntry], list[dict[str, Any]]] | None:
        """Apply ``entries`` and commit (removing the ``untrimmed`` published outbox
        entries first): the new record, the next unread entries and the outbox entries to
        publish now; None when the lock was lost (nothing written)."""
        _annotate(record, entries[0].event)
        navigator = Navigator(record, self.env)
        for entry in entries:
            navigator.apply(entry.event)
        record = navigator.record
        current = self.env.now()
        if record is None:
            expire_at = current + self.env.settings.hangup_grace
        elif record["status"] == STATUS_ENDED:
            expire_at = record["expire_at"]
        else:
            expire_at = current + self.env.settings.call_ttl
        following = self.store.commit(
            call_id,
            token,
            record,
            entries[-1].entry_id,
            navigator.outbox,
            expire_at,
            trim=untrimmed,
            next_count=BATCH,
        )
        if following is None:
            log.warning("call %s: lock lost before commit, step discarded", call_id)
            return None
        stamp("committed", call_id)
        return record, following, navigator.outbox


def _annotate(record: dict[str, Any] | None, event: dict[str, Any]) -> None:
    """What the log lines of this step carry besides the call id (logs.md)."""
    if record is None:
        logs.annotate(node=event.get("node"))
    else:
        logs.annotate(node=record["node"], account_id=record["account_id"], path=node_path(record))


def runner_for(app: Celery) -> CallRunner:
    """The process's runner for ``app`` (built on first use, after the worker forked)."""
    runner = getattr(app, "_kazoo_call_runner", None)
    if runner is None:
        from kazoo_tasks import services
        from kazoo_tasks.cache import named_cache

        settings = app.kazoo_settings  # type: ignore[attr-defined]
        env = Environment(
            settings=settings,
            documents=functools.partial(services.process_document_store, settings),
            now=now,
            cache=named_cache(settings),
            call_clock=call_clock_from(settings),
        )
        client = services.redis_client(settings)
        publisher = Publisher(app, TimerWheel(client, settings), cdr_spool(settings))
        runner = CallRunner(client, app, env, publisher)
        app._kazoo_call_runner = runner  # type: ignore[attr-defined]
    return runner
