"""The worker's consumer: Celery's, without native delayed delivery, and with a
remote-control step that outlasts a connection the broker has not seen go.

**Delayed delivery.** With quorum queues (``KAZOO_BROKER_QUEUE_TYPE=quorum``) Celery adds
a ``DelayedDelivery`` bootstep that declares 28 exchanges and 28 queues
(``celery_delayed_*``, shared by every application of the virtual host) so that countdown
tasks wait in the broker. We have no use for it: call timers live in the Redis timer wheel
(:mod:`kazoo_tasks.timers`), and our task queues sit on direct exchanges, which Celery's
delayed delivery cannot route to. And it costs a stall: after a broker node dies, the step
runs again on every reconnect, for every URL of the failover list, the dead node's too,
retrying it with sleeps of 1, 3 and 5 s before the worker consumes again. Measured on the
3-node cluster test (docs/reliability.md): each worker stopped taking tasks for 17 s after
the node's death.

**Remote control after a silent loss.** Each worker's remote-control queue is exclusive
to the connection that declared it (Celery's default since RabbitMQ 4.3 refuses shared
transient queues). When the worker's connection dies without the broker hearing of it (a
network that drops packets: py-amqp's ``TCP_USER_TIMEOUT`` gives up after a second), the
worker reconnects at once, while RabbitMQ still holds the old connection, and the queue,
until two or three heartbeats have passed. Declaring the queue then fails with
``RESOURCE_LOCKED``, which Celery takes for an unrecoverable error: the worker process
exits. :class:`Control` lets the worker take tasks meanwhile and declares its
remote-control queue again every :data:`MAILBOX_RETRY` seconds from the event loop, until
the broker has let the old connection go (``tests/test_worker_reconnect.py``). A pool
without Celery's event loop (gevent, eventlet) has no loop to retry from: there the
failure counts as a lost connection and the worker connects again after the same pause.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from amqp.exceptions import ResourceLocked
from celery.worker.consumer import Consumer as CeleryConsumer
from celery.worker.consumer.control import Control as CeleryControl

log = logging.getLogger(__name__)

DELAYED_DELIVERY = "celery.worker.consumer.delayed_delivery:DelayedDelivery"
CONTROL = "celery.worker.consumer.control:Control"

MAILBOX_RETRY = 1.0
"""Seconds between two declarations of a remote-control queue still locked for the
worker's previous connection."""


class MailboxLocked(ConnectionError):
    """The worker's remote-control queue is still held for a connection the broker has not
    given up yet: handled by Celery's consumer as a lost connection (it connects again)."""


class Control(CeleryControl):
    """Celery's remote-control step, which waits for a queue still locked for a dead
    connection instead of ending the worker."""

    def __init__(self, c: Any, **kwargs: Any) -> None:
        super().__init__(c, **kwargs)
        self.start = self._start
        self._locked = False

    def _start(self, c: Any) -> None:
        try:
            self.box.start(c)
        except ResourceLocked as exc:
            self._locked = True
            held = (
                f"remote-control queue of {c.hostname} is still held by the broker for a "
                "previous connection"
            )
            if c.hub is None:
                log.warning("%s; connecting again in %.0f s", held, MAILBOX_RETRY)
                time.sleep(MAILBOX_RETRY)
                raise MailboxLocked(str(exc)) from exc
            log.warning("%s; taking tasks meanwhile, trying again in %.0f s", held, MAILBOX_RETRY)
            c.timer.call_after(MAILBOX_RETRY, self._retry, (c, c.connection))
            return
        if self._locked:
            self._locked = False
            log.info("remote-control queue of %s declared: remote control is back", c.hostname)

    def _retry(self, c: Any, connection: Any) -> None:
        """From the event loop: declare again, unless the connection changed since (the
        consumer restarted, and this step with it) or the queue is consumed already."""
        if c.connection is connection and self.box.consumer is None:
            self._start(c)


class Consumer(CeleryConsumer):
    """Celery's consumer with every default bootstep but ``DelayedDelivery``, and
    :class:`Control` in place of Celery's remote-control step."""

    class Blueprint(CeleryConsumer.Blueprint):
        default_steps = [
            f"{__name__}:Control" if step == CONTROL else step
            for step in CeleryConsumer.Blueprint.default_steps
            if step != DELAYED_DELIVERY
        ]
