"""The worker's consumer: Celery's, without native delayed delivery.

With quorum queues (``KAZOO_BROKER_QUEUE_TYPE=quorum``) Celery adds a ``DelayedDelivery``
bootstep that declares 28 exchanges and 28 queues (``celery_delayed_*``, shared by every
application of the virtual host) so that countdown tasks wait in the broker. We have no
use for it: call timers live in the Redis timer wheel (:mod:`kazoo_tasks.timers`), and our
task queues sit on direct exchanges, which Celery's delayed delivery cannot route to.
And it costs a stall: after a broker node dies, the step runs again on every reconnect,
for every URL of the failover list, the dead node's too, retrying it with sleeps of 1, 3
and 5 s before the worker consumes again. Measured on the 3-node cluster test
(docs/reliability.md): each worker stopped taking tasks for 17 s after the node's death.
"""

from __future__ import annotations

from celery.worker.consumer import Consumer as CeleryConsumer

DELAYED_DELIVERY = "celery.worker.consumer.delayed_delivery:DelayedDelivery"


class Consumer(CeleryConsumer):
    """Celery's consumer with every default bootstep but ``DelayedDelivery``."""

    class Blueprint(CeleryConsumer.Blueprint):
        default_steps = [s for s in CeleryConsumer.Blueprint.default_steps if s != DELAYED_DELIVERY]
