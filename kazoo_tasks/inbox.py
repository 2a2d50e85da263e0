"""A call's inbox: the ordered log of its events, between ecallmgr and the workers.

ecallmgr appends each event to the call's Redis stream (one ESL connection per node and
one active ecallmgr per node, so appends follow FreeSWITCH's order), then sends the
:data:`~kazoo_tasks.bus.EVENTS_TASK` task naming the call. A worker running that task
applies every entry after the call's cursor, in stream order, exactly once; the task
itself carries no event, so a duplicate or late task is harmless.
"""

from __future__ import annotations

import json
from typing import Any

import redis
from celery import Celery

from kazoo_tasks.bus import EVENTS_TASK, celery_queue_name
from kazoo_tasks.config import Settings
from kazoo_tasks.events import CallEvent
from kazoo_tasks.keys import call_key

EVENT_FIELD = "event"
"""The stream entry field holding the JSON-encoded :class:`CallEvent`."""


def inbox_key(settings: Settings, call_id: str) -> str:
    """Redis stream key holding a call's events."""
    return call_key(settings.namespace, call_id, "inbox")


def append(client: redis.Redis, settings: Settings, event: CallEvent) -> str:
    """Append ``event`` to its call's inbox; returns the stream entry id."""
    key = inbox_key(settings, event["call_id"])
    pipe = client.pipeline(transaction=False)
    pipe.xadd(key, {EVENT_FIELD: json.dumps(event, separators=(",", ":"))})
    pipe.expire(key, settings.call_ttl)
    entry_id, _ = pipe.execute()
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id


def notify(app: Celery, settings: Settings, call_id: str, **options: Any) -> None:
    """Send the task that makes a worker drain the call's inbox."""
    app.send_task(
        EVENTS_TASK,
        args=[call_id],
        queue=celery_queue_name(settings.namespace, "callflow"),
        **options,
    )


def deliver(client: redis.Redis, app: Celery, settings: Settings, event: CallEvent) -> str:
    """Append then notify: the one way an event enters the call pipeline."""
    entry_id = append(client, settings, event)
    notify(app, settings, event["call_id"])
    return entry_id
