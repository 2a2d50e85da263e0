"""Draining a call's inbox: the body of the ``kazoo.call.handle_events`` task.

One worker at a time works on a call (the call's lock). It publishes what a dead
predecessor left in the outbox, applies the unread inbox entries in stream order through
the navigator, commits record + cursor + outbox in one fenced step, publishes the outbox,
trims it, releases the lock, and looks at the inbox tail again (an event may have arrived
while it held the lock, and that event's task found the lock taken).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis
from celery import Celery

from callflow.exe import Environment, Navigator
from kazoo_tasks.bus import command_exchange, command_queue
from kazoo_tasks.callstate import STATUS_ENDED, ActiveCalls, CallStore
from kazoo_tasks.callstate.store import now
from kazoo_tasks.stages import stamp

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
    """Sends outbox entries: call commands to the node's queue, tasks to Celery."""

    def __init__(self, app: Celery) -> None:
        self._app = app
        self._ns = app.kazoo_settings.namespace  # type: ignore[attr-defined]

    def publish(self, entries: list[dict[str, Any]]) -> None:
        """Publish ``entries`` in order (raises if the broker refuses)."""
        with self._app.producer_or_acquire() as producer:
            for entry in entries:
                if entry["type"] == "command":
                    command = entry["command"]
                    producer.publish(
                        command,
                        exchange=command_exchange(self._ns),
                        routing_key=command["node"],
                        declare=[command_queue(self._ns, command["node"])],
                        serializer="json",
                        delivery_mode=1,
                        retry=True,
                    )
                else:
                    self._app.send_task(entry["name"], args=entry["args"], producer=producer)


class CallRunner:
    """Drains call inboxes for one worker process."""

    def __init__(
        self, client: redis.Redis, app: Celery, env: Environment, publisher: Publisher
    ) -> None:
        self.store = CallStore(client, env.settings)
        self.active = ActiveCalls(client, env.settings)
        self.env = env
        self.publisher = publisher

    def drain(self, call_id: str) -> Busy | Done | Fenced:
        """Apply every unread event of the call, or report why this worker cannot."""
        applied = 0
        while True:
            token = self.store.acquire(call_id)
            if token is None:
                if applied:  # the holder took over after our release: it re-checks the tail
                    return Done(applied)
                return Busy(self.store.lock_remaining(call_id) + 0.05)
            try:
                if not self._flush_outbox(call_id, token):
                    return Fenced()
                while entries := self.store.read_inbox(call_id, self._cursor(call_id), BATCH):
                    if not self._apply(call_id, token, entries):
                        return Fenced()
                    applied += len(entries)
            finally:
                self.store.release(call_id, token)
            if not self.store.has_unread(call_id):
                return Done(applied)

    def _cursor(self, call_id: str) -> str:
        return self.store.load(call_id)[1]

    def _flush_outbox(self, call_id: str, token: str) -> bool:
        pending = self.store.outbox(call_id)
        if not pending:
            return True
        log.info("call %s: publishing %d entries a previous worker left", call_id, len(pending))
        self.publisher.publish(pending)
        return self.store.trim_outbox(call_id, len(pending), token)

    def _apply(self, call_id: str, token: str, entries: list) -> bool:
        record, _ = self.store.load(call_id)
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
        cursor = entries[-1].entry_id
        if not self.store.commit(call_id, token, record, cursor, navigator.outbox, expire_at):
            log.warning("call %s: lock lost before commit, step discarded", call_id)
            return False
        stamp("committed", call_id)
        if navigator.outbox:
            self.publisher.publish(navigator.outbox)
            stamp("published", call_id)
            if not self.store.trim_outbox(call_id, len(navigator.outbox), token):
                return False
        if record is not None:
            if record["status"] == STATUS_ENDED:
                self.active.forget(call_id, record["node"])
            else:
                self.active.touch(call_id, record["node"], current)
        return True


def runner_for(app: Celery) -> CallRunner:
    """The process's runner for ``app`` (built on first use, after the worker forked)."""
    runner = getattr(app, "_kazoo_call_runner", None)
    if runner is None:
        from kazoo_tasks import services
        from kazoo_tasks.cache import named_cache

        settings = app.kazoo_settings  # type: ignore[attr-defined]
        stores: list = []

        def documents():
            if not stores:
                stores.append(services.document_store(settings))
            return stores[0]

        env = Environment(
            settings=settings, documents=documents, now=now, cache=named_cache(settings)
        )
        runner = CallRunner(services.redis_client(settings), app, env, Publisher(app))
        app._kazoo_call_runner = runner  # type: ignore[attr-defined]
    return runner
