"""The API's way to the broker: one Celery app per settings, and publishes that give up.

A request handler that sends something to the workers or to a switch's ecallmgr (a
conference action, a distribution request) must answer even when the broker does not:
a frozen RabbitMQ node keeps its TCP connections open and never confirms. Each publish
is bounded by ``KAZOO_BROKER_CONFIRM_TIMEOUT`` (its socket write and the wait for the
broker's confirm) and tried again at most :data:`RETRY_POLICY` times on a fresh
connection; past that, :class:`BrokerUnavailable` — which the API answers with 503 and
``Retry-After``, like an unreachable Redis or document store.
"""

from __future__ import annotations

import functools
from typing import Any

from celery import Celery
from kombu import Exchange, Queue
from kombu.exceptions import KombuError

from kazoo_tasks.bus import publish_timeouts
from kazoo_tasks.config import Settings

RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
"""A publish that failed is tried once more, on a new connection, then given up."""


class BrokerUnavailable(Exception):
    """The broker did not take a message in time; the client may retry."""


@functools.cache
def broker_app(settings: Settings) -> Celery:
    """The Celery app the API publishes through (one per settings, so one connection
    pool per API process)."""
    from kazoo_tasks.celery_app import make_app

    return make_app(settings, name="api")


def broker_errors(app: Celery) -> tuple[type[BaseException], ...]:
    """What a publish through ``app`` raises when the broker fails it."""
    conn = app.connection_for_write()
    return (KombuError, OSError, *conn.connection_errors, *conn.channel_errors)


def publish(
    settings: Settings, body: dict[str, Any], exchange: Exchange, routing_key: str, queue: Queue
) -> None:
    """Publish ``body`` (a persistent JSON message, ``queue`` declared first), bounded as
    the module says; :class:`BrokerUnavailable` when the broker did not take it."""
    app = broker_app(settings)
    try:
        with app.producer_or_acquire() as producer:
            producer.publish(
                body,
                exchange=exchange,
                routing_key=routing_key,
                declare=[queue],
                serializer="json",
                delivery_mode=2,
                retry=True,
                retry_policy=RETRY_POLICY,
                **publish_timeouts(settings.broker_confirm_timeout),
            )
    except broker_errors(app) as exc:
        raise BrokerUnavailable(f"the broker did not take the message: {exc!r}") from exc
