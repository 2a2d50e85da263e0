"""Presence set by hand (Kazoo's ``manual_presence``): the state of a presence id (a BLF
lamp: ``user@realm``) kept in Redis, ``<ns>:presence:<presence id>`` holding JSON
(``state``: terminated / early / confirmed, ``account_id``, ``updated_at``).

The callflow module sends :data:`PRESENCE_TASK`, so the state is stored once the call's
step is committed, off the call. Only stored: nothing publishes it to phones yet.
"""

from __future__ import annotations

import json
import time
from typing import Any

from celery import Task, shared_task

from kazoo_tasks import services

PRESENCE_TASK = "kazoo.housekeeping.manual_presence"
STATES = {"idle": "terminated", "ringing": "early", "busy": "confirmed"}
"""Kazoo's statuses and the dialog states they publish."""


def presence_key(namespace: str, presence_id: str) -> str:
    return f"{namespace}:presence:{presence_id}"


def stored(client: Any, namespace: str, presence_id: str) -> dict[str, Any] | None:
    """What was stored for ``presence_id`` (None: nothing)."""
    raw = client.get(presence_key(namespace, presence_id))
    return json.loads(raw) if raw else None


@shared_task(name=PRESENCE_TASK, bind=True, ignore_result=True)
def store_presence(self: Task, account_id: str, presence_id: str, state: str) -> None:
    """Keep ``state`` as the presence of ``presence_id``."""
    settings = self.app.kazoo_settings  # type: ignore[attr-defined]
    client = services.redis_client(settings)
    try:
        value = {"state": state, "account_id": account_id, "updated_at": time.time()}
        client.set(presence_key(settings.namespace, presence_id), json.dumps(value))
    finally:
        client.close()
