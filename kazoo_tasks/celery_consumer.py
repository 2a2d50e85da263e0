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
until two heartbeats have passed. Declaring the queue then fails with
``RESOURCE_LOCKED``, which Celery takes for an unrecoverable error: the worker process
exits. :class:`Control` turns it into a lost connection instead, after a pause, so the
consumer connects again until the broker has let the old connection go
(``tests/test_worker_reconnect.py``).
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

MAILBOX_LOCKED_PAUSE = 1.0
"""Seconds the consumer waits before connecting again when its remote-control queue is
still locked for its previous connection."""


class MailboxLocked(ConnectionError):
    """The worker's remote-control queue is still held for a connection the broker has not
    given up yet: handled by Celery's consumer as a lost connection (it connects again)."""


class Control(CeleryControl):
    """Celery's remote-control step, which waits for a queue still locked for a dead
    connection instead of ending the worker."""

    def __init__(self, c: Any, **kwargs: Any) -> None:
        super().__init__(c, **kwargs)
        self.start = self._start

    def _start(self, c: Any) -> None:
        try:
            self.box.start(c)
        except ResourceLocked as exc:
            log.warning(
                "remote-control queue of %s is still held by the broker for a previous "
                "connection; connecting again in %.0f s",
                c.hostname,
                MAILBOX_LOCKED_PAUSE,
            )
            time.sleep(MAILBOX_LOCKED_PAUSE)
            raise MailboxLocked(str(exc)) from exc


class Consumer(CeleryConsumer):
    """Celery's consumer with every default bootstep but ``DelayedDelivery``, and
    :class:`Control` in place of Celery's remote-control step."""

    class Blueprint(CeleryConsumer.Blueprint):
        default_steps = [
            f"{__name__}:Control" if step == CONTROL else step
            for step in CeleryConsumer.Blueprint.default_steps
            if step != DELAYED_DELIVERY
        ]
