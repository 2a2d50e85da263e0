"""Exchanges, queues and task names: one definition that publishers and consumers share."""

from __future__ import annotations

import socket
from typing import Any

from kombu import Exchange, Producer, Queue

EVENTS_TASK = "kazoo.call.handle_events"
"""The task ecallmgr sends (with the call id) after appending an event to a call's inbox."""

REGISTRATION_TASK = "kazoo.housekeeping.registration"
"""The task ecallmgr sends for each ``sofia::register`` / ``sofia::unregister`` event."""

CONFERENCE_TASK = "kazoo.housekeeping.conference_event"
"""The task ecallmgr sends for each ``conference::maintenance`` event."""

SWITCH_EVENT_TASKS = {
    "sofia::register": REGISTRATION_TASK,
    "sofia::unregister": REGISTRATION_TASK,
    "conference::maintenance": CONFERENCE_TASK,
}
"""The housekeeping task each ``CUSTOM`` subclass ecallmgr publishes becomes (the
subclass, the node and the decoded headers are its arguments)."""

WRITE_CDR_TASK = "kazoo.housekeeping.write_cdr"
"""One CDR as a task (its argument), as versions before the CDR spool sent them at each
call's end; housekeeping still stores those (a rolling upgrade)."""

WRITE_CDRS_TASK = "kazoo.housekeeping.write_cdrs"
"""The task that stores a batch of spooled CDRs (:mod:`callflow.cdr_spool`)."""


def publish_timeouts(confirm_timeout: float) -> dict[str, float]:
    """The publish options that bound one publish (``KAZOO_BROKER_CONFIRM_TIMEOUT``): its
    socket write and the wait for RabbitMQ's confirm. Past either, py-amqp raises a
    connection error and a publish with ``retry`` drops the connection and publishes
    again on a fresh one (kombu's failover: the next node of a cluster); a frozen node
    would otherwise hold the publisher forever. ``0`` means no bound."""
    if confirm_timeout <= 0:
        return {}
    return {"timeout": confirm_timeout, "confirm_timeout": confirm_timeout}


def undeclared(producer: Producer, queue: Queue) -> list[Queue]:
    """``[queue]`` unless kombu has declared it on the producer's connection already: the
    ``declare`` argument of a publish. kombu finds a declared queue in the same cache, but
    binds a copy of it to the channel on every publish first (~30 us); a reconnect clears
    the cache, so the first publish after it declares the queue again."""
    return [] if hash(queue) in producer.connection.declared_entities else [queue]


CONNECT_RETRIES_TIMEOUT = 15.0
"""Seconds a lost connection may spend trying the broker URLs in turn when a channel is
needed (each try waits up to Celery's ``broker_connection_timeout``, 4 s)."""


def transport_options(heartbeat: int, tcp_user_timeout: float) -> dict[str, Any]:
    """The kombu transport options of every connection that publishes (Celery's, the
    changes process'): publisher confirms, failover that moves on, ``read_timeout`` of two
    heartbeats (none without heartbeats: a healthy broker may then be silent for any time)
    and the socket's ``TCP_USER_TIMEOUT`` (``KAZOO_BROKER_TCP_USER_TIMEOUT`` seconds; 0:
    the kernel's retransmission limits). The reasons are in
    :mod:`kazoo_tasks.celery_app`'s configuration."""
    options: dict[str, Any] = {
        "confirm_publish": True,
        "connect_retries_timeout": CONNECT_RETRIES_TIMEOUT,
    }
    if heartbeat > 0:
        options["read_timeout"] = 2.0 * heartbeat
    if hasattr(socket, "TCP_USER_TIMEOUT"):  # Linux; py-amqp sets none elsewhere either
        options["socket_settings"] = {socket.TCP_USER_TIMEOUT: round(tcp_user_timeout * 1000)}
    return options


def command_exchange(namespace: str) -> Exchange:
    """Direct exchange carrying call commands; the routing key is the FreeSWITCH node name."""
    return Exchange(f"{namespace}.commands", type="direct", durable=True)


def queue_arguments(queue_type: str) -> dict[str, str] | None:
    """Declaration arguments of a durable pipeline queue of ``queue_type``
    (``KAZOO_BROKER_QUEUE_TYPE``): a quorum queue says so, a classic one gets none (so it
    matches the classic queues deployments declared before the setting existed)."""
    return {"x-queue-type": "quorum"} if queue_type == "quorum" else None


def command_queue(namespace: str, node: str, queue_type: str = "classic") -> Queue:
    """The queue one FreeSWITCH node's ecallmgr consumes its commands from."""
    return Queue(
        f"{namespace}.commands.{node}",
        exchange=command_exchange(namespace),
        routing_key=node,
        durable=True,
        queue_arguments=queue_arguments(queue_type),
    )


def docs_exchange(namespace: str) -> Exchange:
    """Topic exchange of document changes; routing key ``<db>.<type>.<id>``."""
    return Exchange(f"{namespace}.docs", type="topic", durable=True)


def celery_queue_name(namespace: str, role: str) -> str:
    """Name of the Celery queue serving ``role`` (callflow, housekeeping, ...)."""
    return f"{namespace}.{role}"
