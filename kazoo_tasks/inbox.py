"""A call's inbox: the ordered log of its events, between ecallmgr and the workers.

ecallmgr appends each event to the call's Redis stream (one ESL connection per node and
one active ecallmgr per node, so appends follow FreeSWITCH's order), then sends the
:data:`~kazoo_tasks.bus.EVENTS_TASK` task naming the call. A worker running that task
applies every entry after the call's cursor, in stream order, exactly once; the task
itself carries no event, so a duplicate or late task is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis
from celery import Celery
from redis.client import Pipeline

from kazoo_tasks import compact_json
from kazoo_tasks.bus import EVENTS_TASK, celery_queue_name
from kazoo_tasks.config import Settings
from kazoo_tasks.events import CallEvent, inbox_of
from kazoo_tasks.keys import call_key

EVENT_FIELD = "event"
"""The stream entry field holding the JSON-encoded :class:`CallEvent`."""


def inbox_key(settings: Settings, call_id: str) -> str:
    """Redis stream key holding a call's events."""
    return call_key(settings.namespace, call_id, "inbox")


def append(client: redis.Redis, settings: Settings, event: CallEvent) -> str:
    """Append ``event`` to its call's inbox; returns the stream entry id."""
    return append_many(client, settings, [event])[0]


def queue_append(pipe: Pipeline, settings: Settings, events: Sequence[CallEvent]) -> None:
    """Queue the appends of ``events`` (in the given order) on a non-transactional
    pipeline: two replies per event, the entry id first."""
    for event in events:
        key = inbox_key(settings, inbox_of(event))
        pipe.xadd(key, {EVENT_FIELD: compact_json.dumps(event)})
        pipe.expire(key, settings.call_ttl)


def append_many(client: redis.Redis, settings: Settings, events: Sequence[CallEvent]) -> list[str]:
    """Append ``events`` (in the given order) in one round trip; returns their entry ids."""
    pipe = client.pipeline(transaction=False)
    queue_append(pipe, settings, events)
    replies = pipe.execute()
    return [r.decode() if isinstance(r, bytes) else r for r in replies[::2]]


def notify(app: Celery, settings: Settings, call_id: str, **options: Any) -> None:
    """Send the task that makes a worker drain the call's inbox.

    Nobody waits for its result, so ``ignore_result`` is the default: without it the
    sender subscribes to a Redis result channel per task (a third of the send's cost).
    """
    app.send_task(
        EVENTS_TASK,
        args=[call_id],
        queue=celery_queue_name(settings.namespace, "callflow"),
        **{"ignore_result": True, **options},
    )


def deliver(client: redis.Redis, app: Celery, settings: Settings, event: CallEvent) -> str:
    """Append then notify: the one way an event enters the call pipeline."""
    return deliver_many(client, app, settings, [event])[0]


def deliver_many(
    client: redis.Redis, app: Celery, settings: Settings, events: Sequence[CallEvent]
) -> list[str]:
    """:func:`deliver` for a batch: one Redis round trip, then one task per distinct call
    (the task carries no event, so one per call drains all of that call's new entries)."""
    entry_ids = append_many(client, settings, events)
    for call_id in dict.fromkeys(inbox_of(event) for event in events):
        notify(app, settings, call_id)
    return entry_ids
