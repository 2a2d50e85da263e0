"""The Celery application: broker, queues and routes for the call workload.

``celery -A kazoo_tasks.celery_app worker`` runs a worker. The configuration is applied
lazily (on first use of ``app.conf``) so importing this module starts nothing; the
reasons behind each setting are in docs/celery.md.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Queue

from kazoo_tasks import services
from kazoo_tasks.bus import celery_queue_name, queue_arguments, transport_options
from kazoo_tasks.config import Settings, get_settings
from kazoo_tasks.timers import TimerDrainStep

CELERY_ROLES = ("callflow", "housekeeping", "webhooks")
"""Celery queues, one per role; a worker pool can serve one or several."""

WORKER_POOLS = ("prefork", "threads", "solo")
"""The Celery pools a worker may run (docs/celery.md). Green pools (gevent, eventlet) are
not among them: they need the standard library patched before anything loads, our
per-thread broker producers would become one connection per task, and measured with both
taken care of they cost more CPU per call than prefork (docs/performance.md)."""

CDR_SWEEP_INTERVAL = 60.0
"""Seconds between the CDR flushes beat sends, for spooled CDRs whose own flush was never
sent (:mod:`callflow.cdr_spool`)."""
PURGE_INTERVAL = 3600.0
"""Seconds between two purges of soft-deleted documents past their retention."""

TASK_MODULES = (
    "callflow.tasks",
    "callflow.camping_tasks",
    "callflow.call_recording",
    "callflow.webhook_delivery",
    "callflow.notify_email",
    "callflow.pivot_requests",
    "callflow.presence",
    "workers.webhooks",
    "workers.housekeeping",
    "workers.registrations",
    "workers.conferences",
    "acdc.tasks",
)
ACDC_SWEEP_STEP = "acdc.tasks:AcdcSweepStep"
"""Every worker sweeps the ACDc due sets (named, so the core does not import ACDc)."""
WEBHOOK_OBJECTS_STEP = "workers.webhooks:WebhookObjectsStep"
"""A worker serving the webhooks queue feeds the ``object`` hooks from the doc changes."""


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery settings for ``settings`` (see docs/celery.md for the reasons)."""
    ns = settings.namespace
    arguments = queue_arguments(settings.broker_queue_type)
    return {
        "broker_url": services.broker_url(settings),
        "result_backend": services.result_backend_url(settings),
        "task_queues": [
            Queue(celery_queue_name(ns, role), queue_arguments=arguments) for role in CELERY_ROLES
        ],
        "task_default_queue": celery_queue_name(ns, "callflow"),
        "task_routes": {
            "kazoo.call.*": {"queue": celery_queue_name(ns, "callflow")},
            "kazoo.housekeeping.*": {"queue": celery_queue_name(ns, "housekeeping")},
            "kazoo.webhooks.*": {"queue": celery_queue_name(ns, "webhooks")},
        },
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        # publisher confirms: a publish returns once RabbitMQ has the message (on disk, for
        # the persistent messages of durable queues), so nothing acknowledged is lost to a
        # broker kill -9; the Redis transport (embedded defaults) ignores the option
        #
        # connect_retries_timeout: how long opening a channel on a lost connection may try
        # the failover list; kombu's default (the connect timeout) gives up after the
        # first node without moving on, so a frozen first node (TCP accepted, the AMQP
        # handshake never answered) would be tried again and again
        #
        # read_timeout (SO_RCVTIMEO, so blocking sockets only: the workers, not gevent's
        # ecallmgr): a broker reply awaited longer than two heartbeats (prefetch changes,
        # declarations, closing handshakes) means the broker is silent; py-amqp then
        # raises and the worker reconnects instead of waiting forever in its event loop
        #
        # socket_settings: TCP_USER_TIMEOUT, how long sent data may stay unacknowledged
        # before the kernel gives the connection up (operations.md: a short one leaves a
        # vanished broker host sooner, and drops connections on every network stall)
        "broker_transport_options": transport_options(
            settings.broker_heartbeat, settings.broker_tcp_user_timeout
        ),
        # a worker gives up a connection whose broker sent nothing for two heartbeats (a
        # frozen node keeps its TCP connections open and answers nothing)
        "broker_heartbeat": settings.broker_heartbeat,
        "task_default_delivery_mode": "persistent",
        "result_expires": 3600,
        "worker_hijack_root_logger": False,
        # Celery's consumer without native delayed delivery (kazoo_tasks/celery_consumer.py)
        "worker_consumer": "kazoo_tasks.celery_consumer:Consumer",
        "control_exchange": f"{ns}.control",
        "event_exchange": f"{ns}.celeryev",
        "include": list(TASK_MODULES),
        "beat_schedule": {
            "reap-calls": {
                "task": "kazoo.housekeeping.reap_calls",
                "schedule": settings.reap_interval,
                "options": {"expires": settings.reap_interval},
            },
            "flush-cdrs": {
                "task": "kazoo.housekeeping.write_cdrs",
                "schedule": CDR_SWEEP_INTERVAL,
                "options": {"expires": CDR_SWEEP_INTERVAL},
            },
            "purge-deleted": {
                "task": "kazoo.housekeeping.purge_deleted",
                "schedule": PURGE_INTERVAL,
                "options": {"expires": PURGE_INTERVAL},
            },
        },
    }


def make_app(settings: Settings, name: str = "kazoo_tasks") -> Celery:
    """A Celery app configured for ``settings``; ``app.kazoo_settings`` holds them."""
    app = Celery(name, set_as_current=False)
    app.kazoo_settings = settings  # type: ignore[attr-defined]
    app.conf.update(celery_config(settings))
    app.steps["consumer"].add(TimerDrainStep)  # every worker drains due call timers
    app.steps["consumer"].add(ACDC_SWEEP_STEP)
    app.steps["consumer"].add(WEBHOOK_OBJECTS_STEP)
    return app


app = Celery("kazoo_tasks")


@app.on_configure.connect
def _configure_from_environment(sender: Celery, **_: Any) -> None:
    settings = get_settings()
    sender.kazoo_settings = settings  # type: ignore[attr-defined]
    sender.conf.update(celery_config(settings))


app.steps["consumer"].add(TimerDrainStep)  # every worker drains due call timers
app.steps["consumer"].add(ACDC_SWEEP_STEP)
app.steps["consumer"].add(WEBHOOK_OBJECTS_STEP)
