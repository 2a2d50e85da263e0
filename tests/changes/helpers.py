"""Test helpers: a notification collector bound to the docs exchange, a follower thread."""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from kombu import Connection, Queue

from kazoo_tasks.bus import docs_exchange
from kazoo_tasks.config import Settings
from kazoo_tasks.doc_changes import DocChange
from kazoo_tasks.docstore import DocumentStore
from workers.changes import ChangesFollower


class Collector:
    """Notifications received on one binding, with their routing keys."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[str, DocChange]] = queue.Queue()
        self.seen: list[tuple[str, DocChange]] = []

    def wait_for(
        self, predicate: Callable[[DocChange], bool], timeout: float = 10.0
    ) -> tuple[str, DocChange]:
        """The first (routing key, notification) matching ``predicate``."""
        for key, change in self.seen:
            if predicate(change):
                return key, change
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = self.received.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(item)
            if predicate(item[1]):
                return item
        raise AssertionError(f"no matching notification within {timeout}s; saw {self.seen}")

    def drain(self, settle: float = 0.5) -> list[tuple[str, DocChange]]:
        """Everything received until ``settle`` seconds pass with nothing new."""
        while True:
            try:
                self.seen.append(self.received.get(timeout=settle))
            except queue.Empty:
                return self.seen


@contextmanager
def collecting(settings: Settings, binding: str = "#") -> Iterator[Collector]:
    """Consume the docs exchange with ``binding`` in a thread while the block runs."""
    collector = Collector()
    ready = threading.Event()
    stop = threading.Event()

    def consume() -> None:
        with Connection(settings.broker_url) as conn:
            bound = Queue(
                f"{settings.namespace}.test.{uuid.uuid4().hex[:8]}",
                exchange=docs_exchange(settings.namespace),
                routing_key=binding,
                exclusive=True,
                auto_delete=True,
            )

            def on_message(body: Any, message: Any) -> None:
                key = message.delivery_info["routing_key"]
                collector.received.put((key, DocChange.from_body(body)))
                message.ack()

            with conn.Consumer([bound], callbacks=[on_message], accept=["json"]):
                ready.set()
                while not stop.is_set():
                    try:
                        conn.drain_events(timeout=0.1)
                    except TimeoutError:
                        pass

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    assert ready.wait(10), "collector did not start"
    try:
        yield collector
    finally:
        stop.set()
        thread.join(5)


@contextmanager
def following(
    settings: Settings, store: DocumentStore, lease_ttl: float = 3.0
) -> Iterator[ChangesFollower]:
    """A changes follower running in a thread while the block runs."""
    follower = ChangesFollower(settings, store=store, lease_ttl=lease_ttl)
    stop = threading.Event()
    thread = threading.Thread(target=follower.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield follower
    finally:
        stop.set()
        thread.join(10)
