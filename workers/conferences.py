"""Live conference participants, from FreeSWITCH's ``conference::maintenance`` events.

ecallmgr sends :data:`~kazoo_tasks.bus.CONFERENCE_TASK` with the decoded headers of each
event; the task applies it to the room's participants in Redis
(:mod:`kazoo_tasks.conferences`), which the conferences API reads.
"""

from __future__ import annotations

from celery import Task, shared_task

from kazoo_tasks import services
from kazoo_tasks.bus import CONFERENCE_TASK
from kazoo_tasks.conferences import apply_event
from kazoo_tasks.config import Settings


@shared_task(bind=True, name=CONFERENCE_TASK, acks_late=True)
def conference_event(self: Task, event: str, node: str, headers: dict[str, str]) -> bool:
    """Apply one conference event (idempotent: a redelivery is refused as not newer)."""
    settings: Settings = self.app.kazoo_settings
    return apply_event(services.redis_client(settings), settings.namespace, headers, node)
