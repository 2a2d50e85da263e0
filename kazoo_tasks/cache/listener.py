"""Doc-change notifications into the caches of this process.

One :class:`DocChangeListener` per process (and broker namespace) consumes the docs
exchange on a private queue in a daemon thread, started lazily by the first cache that
needs it, and erases what each notification touches. It is fork-aware: a Celery prefork
child (or any forked process) gets its own listener on first use, and the entries it
inherited are flushed, since nobody kept them fresh across the fork.

While the listener is not consuming (not started yet, connection lost, reconnecting)
every cache it serves is flushed and keeps no entry bound to origins: an entry nobody
can erase could stay stale. The same holds while no ``changes`` process publishes: the
listener looks at the changes lease in Redis about once a second, and without a holder
(none running, or Redis unreachable) the caches are flushed and lookups read the store.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from typing import Any

from kombu import Connection, Consumer, Message, Queue
from kombu.mixins import ConsumerMixin

from kazoo_tasks import services
from kazoo_tasks.bus import docs_exchange
from kazoo_tasks.cache.local import Cache
from kazoo_tasks.config import Settings
from kazoo_tasks.doc_changes import DocChange
from kazoo_tasks.keys import changes_lease_key
from kazoo_tasks.services import REDIS_ERRORS

log = logging.getLogger(__name__)

HEARTBEAT_S = 10
PUBLISHER_CHECK_S = 1.0
"""How often the listener checks that a changes process holds its lease."""


class DocChangeListener(ConsumerMixin):
    """Consumes every doc-change notification of a namespace for this process's caches."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.connection = Connection(services.broker_url(settings), heartbeat=HEARTBEAT_S)
        self._caches: weakref.WeakSet[Cache] = weakref.WeakSet()
        self._caches_lock = threading.Lock()
        self._live = threading.Event()
        self._publisher = threading.Event()
        self._publisher_checked = -PUBLISHER_CHECK_S
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.received = 0

    # -- what caches see ---------------------------------------------------------------

    @property
    def live(self) -> bool:
        """Whether notifications flow right now: consumed here, and published by a changes
        process (one holds the changes lease)."""
        return self._live.is_set() and self._publisher.is_set()

    def attach(self, cache: Cache) -> bool:
        """Serve ``cache``; start consuming if not yet. True when notifications flow."""
        with self._caches_lock:
            self._caches.add(cache)
        self.start()
        return self.live

    def wait_live(self, timeout: float) -> bool:
        """Wait until notifications flow (tests and warm-ups use this)."""
        self.start()
        deadline = time.monotonic() + timeout
        while True:
            if self._live.is_set():
                self._check_publisher(force=True)
                if self.live:
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(left, 0.05))

    def start(self) -> None:
        """Start the consumer thread if it is not running."""
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self.should_stop = False
                self._thread = threading.Thread(
                    target=self.run, name=f"doc-changes-{self.settings.namespace}", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop consuming and wait for the thread."""
        self.should_stop = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._went_down("stopped")

    # -- kombu ConsumerMixin hooks -----------------------------------------------------

    def get_consumers(self, consumer: type[Consumer], channel: Any) -> list[Consumer]:
        queue = Queue(
            f"{self.settings.namespace}.cache.{socket.gethostname()}.{os.getpid()}."
            f"{uuid.uuid4().hex[:8]}",
            exchange=docs_exchange(self.settings.namespace),
            routing_key="#",
            exclusive=True,
            auto_delete=True,
            durable=False,
        )
        return [
            consumer(queues=[queue], callbacks=[self._on_message], accept=["json"], no_ack=True)
        ]

    def on_connection_revived(self) -> None:
        self._went_down("reconnected")

    def on_connection_error(self, exc: Exception, interval: float) -> None:
        self._went_down(f"connection error: {exc}")
        log.warning("doc-change listener: %s; retrying in %.1fs", exc, interval)

    def on_consume_ready(self, connection: Any, channel: Any, consumers: Any, **_: Any) -> None:
        self._flush_all()
        self._live.set()
        self._check_publisher(force=True)
        log.info("doc-change listener consuming (pid %s)", os.getpid())

    def on_iteration(self) -> None:
        self._check_publisher()
        for cache in self._snapshot():
            cache.sweep()

    def consume(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            yield from super().consume(*args, **kwargs)
        finally:
            self._went_down("consumer stopped")

    # -- internals -----------------------------------------------------------------------

    def _snapshot(self) -> list[Cache]:
        with self._caches_lock:
            return list(self._caches)

    def _flush_all(self) -> None:
        for cache in self._snapshot():
            cache.flush()

    def _check_publisher(self, force: bool = False) -> None:
        """Note whether a changes process holds its lease; flush when the last one went."""
        now = time.monotonic()
        if not force and now - self._publisher_checked < PUBLISHER_CHECK_S:
            return
        self._publisher_checked = now
        key = changes_lease_key(self.settings.namespace)
        try:
            present = bool(services.redis_client(self.settings).exists(key))
        except REDIS_ERRORS as exc:
            log.warning("doc-change listener cannot read %s: %s", key, exc)
            present = False
        if present:
            self._publisher.set()
        elif self._publisher.is_set():
            self._publisher.clear()
            self._flush_all()
            log.warning("no changes process holds %s: caches flushed, lookups read the store", key)

    def _went_down(self, why: str) -> None:
        was_live = self.live
        self._live.clear()
        self._flush_all()
        if was_live:
            log.warning("doc-change listener down (%s): caches flushed", why)

    def _on_message(self, body: Any, message: Message) -> None:
        try:
            change = DocChange.from_body(body)
        except ValueError as exc:
            log.warning("ignoring a malformed doc-change notification: %s", exc)
            return
        self.received += 1
        for cache in self._snapshot():
            cache.handle_change(change)


# -- one listener per process ------------------------------------------------------------

_listeners: dict[Settings, DocChangeListener] = {}
_listeners_lock = threading.Lock()
_all_caches: weakref.WeakSet[Cache] = weakref.WeakSet()


def listener_for(settings: Settings) -> DocChangeListener:
    """This process's listener for ``settings``' namespace and broker.

    Keyed by the settings themselves: resolving the broker URL on every lookup (each
    cache read) would ping the embedded Redis each time."""
    with _listeners_lock:
        found = _listeners.get(settings)
        if found is None:
            found = _listeners[settings] = DocChangeListener(settings)
        return found


class ProcessInvalidation:
    """The :class:`~kazoo_tasks.cache.local.Invalidation` of caches made by
    :func:`named_cache`: looks the listener up on every use, so after a fork the child
    gets its own."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def attach(self, cache: Cache) -> bool:
        return listener_for(self.settings).attach(cache)


_named: dict[tuple[str, str], Cache] = {}


def named_cache(
    settings: Settings, name: str = "documents", *, default_ttl: float | None = None
) -> Cache:
    """The process-wide cache ``name``, erased by doc-change notifications of
    ``settings``' namespace (the consumer starts on first use of an origin)."""
    key = (settings.namespace, name)
    with _listeners_lock:
        cache = _named.get(key)
        if cache is None:
            ttl = settings.cache_ttl if default_ttl is None else default_ttl
            cache = _named[key] = Cache(
                name, default_ttl=ttl, invalidation=ProcessInvalidation(settings)
            )
            _all_caches.add(cache)
        return cache


def close_namespace(namespace: str) -> None:
    """Stop this process's listener(s) for ``namespace`` and drop its named caches (for
    processes that are done with a namespace: tests, tools). The consumer thread ends
    within a second, closing its connection."""
    with _listeners_lock:
        listeners = [_listeners.pop(s) for s in list(_listeners) if s.namespace == namespace]
        for key in [key for key in _named if key[0] == namespace]:
            del _named[key]
    for listener in listeners:
        listener.stop(timeout=0)


def _after_fork_in_child() -> None:
    global _listeners_lock
    _listeners_lock = threading.Lock()
    _listeners.clear()  # the parent's consumer threads do not exist here
    for cache in list(_all_caches):
        cache.reset_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
