"""``KAZOO_BROKER_QUEUE_TYPE``: the pipeline's queues as the broker declares them, and the
broker URL as a failover list."""

from __future__ import annotations

import pytest
from amqp.exceptions import PreconditionFailed
from kombu import Connection, Queue

from kazoo_tasks.bus import celery_queue_name, command_queue
from kazoo_tasks.celery_app import CELERY_ROLES, make_app


def pipeline_queues(app, settings) -> list[Queue]:
    """The queues a worker and ecallmgr declare: Celery's task queues, the commands'."""
    names = [celery_queue_name(settings.namespace, role) for role in CELERY_ROLES]
    return [app.amqp.queues[name] for name in names] + [
        command_queue(settings.namespace, "fs1", settings.broker_queue_type)
    ]


@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
def test_given_a_queue_type_when_the_pipeline_queues_are_declared_then_the_broker_holds_that_type(
    settings, queue_type
):
    settings = settings.with_overrides(broker_queue_type=queue_type)
    app = make_app(settings)
    other = "classic" if queue_type == "quorum" else "quorum"
    with Connection(settings.broker_url) as conn:
        for queue in pipeline_queues(app, settings):
            queue(conn.default_channel).declare()
            as_other = Queue(queue.name, queue.exchange, queue.routing_key, durable=True)
            if other == "quorum":
                as_other.queue_arguments = {"x-queue-type": "quorum"}
            # RabbitMQ refuses to declare a queue again with another type
            with pytest.raises(PreconditionFailed, match="x-queue-type"):
                as_other(conn.channel()).declare()


def test_given_a_failover_list_when_the_app_connects_then_every_node_is_an_alternate(settings):
    urls = [f"amqp://guest:guest@127.0.0.1:{port}//" for port in (5672, 5673, 5674)]
    app = make_app(settings.with_overrides(broker_url=";".join(urls)))

    with app.connection_for_write() as conn:
        assert conn.alt == urls
        conn.ensure_connection(max_retries=1)  # the first node is the shared broker
        assert conn.as_uri(include_password=True) == urls[0]
