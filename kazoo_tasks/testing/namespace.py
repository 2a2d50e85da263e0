"""Removing everything a namespace left on the shared Redis and broker: its keys, queues
and exchanges (tests and benchmark runs each use a namespace of their own)."""

from __future__ import annotations

from kombu import Connection

from kazoo_tasks import services
from kazoo_tasks.bus import celery_queue_name, command_exchange, command_queue, docs_exchange
from kazoo_tasks.celery_app import CELERY_ROLES
from kazoo_tasks.config import Settings


def worker_exchanges(namespace: str) -> list[str]:
    """The remote-control and event exchanges that worker processes declare."""
    return [
        f"{namespace}.celeryev",
        f"{namespace}.control.pidbox",
        f"reply.{namespace}.control.pidbox",
    ]


def drop_namespace(settings: Settings) -> None:
    """Delete the ``<ns>:*`` Redis keys, the Celery and command queues and the exchanges
    of ``settings.namespace`` (worker exchanges included)."""
    ns = settings.namespace
    client = services.new_redis_client(settings)
    try:
        keys = list(client.scan_iter(f"{ns}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()
    queues = [celery_queue_name(ns, role) for role in CELERY_ROLES]
    queues += [command_queue(ns, node.name).name for node in settings.freeswitch_nodes]
    queues.append(f"{ns}.webhooks.objects")
    exchanges = [command_exchange(ns).name, docs_exchange(ns).name]
    exchanges += worker_exchanges(ns)
    with Connection(services.broker_url(settings)) as conn:
        channel = conn.default_channel
        for name in queues:
            channel.queue_delete(name)
        for name in exchanges:
            channel.exchange_delete(name)
