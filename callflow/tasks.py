"""Celery tasks of the call pipeline.

``handle_events`` carries no event, only the call id: it drains the call's inbox
(:mod:`callflow.runner`). Delivered twice, or redelivered after its worker died, it
applies nothing twice (the cursor and the fenced commit see to that), so it runs with
``acks_late`` and ``reject_on_worker_lost``: a killed worker's task goes back to the
queue instead of being lost with the call. A store, Redis or broker that is down makes it
retry with back-off (what was committed but not published stays in the outbox); a retry
that cannot be published puts the message back instead (:class:`DurableTask`).
"""

from __future__ import annotations

import logging

from celery import Task, shared_task
from kombu.exceptions import OperationalError

from callflow.runner import Busy, Fenced, runner_for
from kazoo_tasks import logs
from kazoo_tasks.bus import EVENTS_TASK
from kazoo_tasks.docstore import DocumentStoreError
from kazoo_tasks.durable_task import DurableTask
from kazoo_tasks.services import REDIS_UNAVAILABLE
from kazoo_tasks.stages import stamp

log = logging.getLogger(__name__)

MAX_BUSY_RETRIES = 100
"""How often a task retries a call whose lock another worker holds (a dead worker's lock
expires after ``Settings.call_lock_ttl``; a live one re-checks the inbox on release)."""


@shared_task(
    name=EVENTS_TASK,
    base=DurableTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=MAX_BUSY_RETRIES,
    autoretry_for=(DocumentStoreError, *REDIS_UNAVAILABLE, OperationalError, OSError),
    retry_backoff=1,
    retry_backoff_max=5,
)
def handle_events(self: Task, call_id: str) -> int:
    """Apply every unread event of ``call_id``; returns how many this run applied."""
    stamp("task", call_id)
    with logs.bound(call_id=call_id):
        result = runner_for(self.app).drain(call_id)
    if isinstance(result, Busy):
        raise self.retry(countdown=result.retry_in)
    if isinstance(result, Fenced):
        raise self.retry(countdown=0)
    return result.applied
