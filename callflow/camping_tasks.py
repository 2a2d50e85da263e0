"""The task that calls campers back once the extension they camp on is free
(:mod:`callflow.camping`).

It runs off the call, after the step that ended a call (or hung up one of its legs) was
committed, so that call no longer counts as busy. Redelivered (``acks_late``: its worker
died), it serves again only what it had claimed and not finished, whose originate ecallmgr
writes once (:func:`callflow.camping.serve_freed`).
"""

from __future__ import annotations

from celery import Task, shared_task
from kombu.exceptions import OperationalError

from callflow.camping import CHECK_TASK, CampRequests, serve_freed
from callflow.runner import runner_for
from kazoo_tasks.docstore import DocumentStoreError
from kazoo_tasks.durable_task import DurableTask
from kazoo_tasks.services import REDIS_UNAVAILABLE


@shared_task(
    name=CHECK_TASK,
    base=DurableTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=20,
    autoretry_for=(DocumentStoreError, *REDIS_UNAVAILABLE, OperationalError, OSError),
    retry_backoff=1,
    retry_backoff_max=10,
)
def camping_check(self: Task, account_id: str, devices: list[str]) -> list[str]:
    """Serve the camp requests on ``devices`` of ``account_id`` whose target is free;
    returns the camping calls called back."""
    runner = runner_for(self.app)
    env = runner.env
    return serve_freed(
        CampRequests(runner.client, env.settings),
        account_id,
        devices,
        store=env.documents(),
        client=runner.client,
        settings=env.settings,
        cache=env.cache,
        publish=runner.publisher.publish,
    )
