"""The changes process and a broker that freezes, then dies: a notification counts as
published only once the broker confirmed it, so nothing the checkpoint has passed is lost
with the broker (the ``object`` webhooks and the caches rely on every change arriving)."""

from __future__ import annotations

import time
import uuid

import pytest
from kombu import Connection, Queue

from kazoo_tasks.bus import docs_exchange
from kazoo_tasks.config import Settings
from kazoo_tasks.doc_changes import DOC_CREATED, DocChange
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.testing.services import PrivateRabbitMQ
from tests.changes.helpers import following

pytestmark = pytest.mark.faults

CONFIRM_TIMEOUT = 2.0
SEEN_AND_SENT = 3.0
"""Seconds for the follower to read the change (it polls every second) and publish it."""


def kept_notifications(settings: Settings) -> Queue:
    """A durable queue of every notification (it outlives a broker restart)."""
    return Queue(
        f"{settings.namespace}.test.kept",
        exchange=docs_exchange(settings.namespace),
        routing_key="#",
        durable=True,
    )


def wait_created(url: str, queue: Queue, doc_id: str, timeout: float) -> list[str]:
    """The ids of the created documents ``queue`` holds, read until ``doc_id``'s creation
    comes or ``timeout`` passes (a notification may come twice: at least once is the
    promise)."""
    found: list[str] = []
    with Connection(url) as conn, conn.SimpleQueue(queue) as simple:
        deadline = time.monotonic() + timeout
        while doc_id not in found and time.monotonic() < deadline:
            try:
                message = simple.get(timeout=1)
            except simple.Empty:
                continue
            change = DocChange.from_body(message.payload)
            message.ack()
            if change.name == DOC_CREATED:
                found.append(change.doc_id)
    return found


def test_given_a_frozen_broker_when_a_doc_changes_and_the_broker_dies_then_the_notification_comes_after_its_restart(  # noqa: E501
    settings: Settings, store: DocumentStore, private_broker: PrivateRabbitMQ
) -> None:
    local = settings.with_overrides(
        broker_url=private_broker.url, broker_confirm_timeout=CONFIRM_TIMEOUT
    )
    db = account_db(uuid.uuid4().hex)
    store.ensure_db(db)
    queue = kept_notifications(local)
    with Connection(private_broker.url) as conn:
        queue(conn.default_channel).declare()

    with following(local, store) as follower:
        assert follower.following.wait(15)
        store.save(db, {"_id": "cf0", "pvt_type": "callflow", "numbers": ["999"]})
        assert wait_created(private_broker.url, queue, "cf0", timeout=30) == ["cf0"]  # it publishes
        private_broker.freeze()
        store.save(db, {"_id": "cf1", "pvt_type": "callflow", "numbers": ["1000"]})
        time.sleep(SEEN_AND_SENT)  # the follower sends it into the frozen node's socket
        private_broker.restart()  # kill -9 (what it had not taken in is gone), start on its data

        assert "cf1" in wait_created(private_broker.url, queue, "cf1", timeout=60)
    store.delete_db(db)
