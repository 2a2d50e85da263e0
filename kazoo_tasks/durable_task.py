"""The Celery task options of work that must never be lost: the call pipeline's
``handle_events`` and the tasks that write documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Task, shared_task
from celery.exceptions import Reject

from kazoo_tasks.docstore import DocumentStoreError


class DurableTask(Task):
    """A task whose retry, when it cannot be published, puts the message itself back.

    Celery retries a task by publishing a copy and acknowledging the message; when the
    copy cannot be published (the broker frozen or gone) it rejects the message *without*
    requeueing, and the work is lost. Here the message goes back to the queue instead: the
    broker redelivers it once it answers again (or, when the connection was given up,
    once it sees it closed), to this worker or another (the task must be idempotent).
    """

    def retry(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().retry(*args, **kwargs)
        except Reject as rejected:
            if rejected.requeue:
                raise
            raise Reject(rejected.reason, requeue=True) from rejected


def store_writing_task(
    name: str, also_retry_for: tuple[type[Exception], ...] = ()
) -> Callable[[Callable[..., Any]], Any]:
    """Decorator of a bound task named ``name`` that saves documents: acknowledged only
    once it ran, back on the queue when its worker dies, retried with back-off (at most
    300 s apart, without end) while the document store or the disk fails, or any of
    ``also_retry_for`` is raised; no result."""
    return shared_task(
        name=name,
        base=DurableTask,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,
        autoretry_for=(DocumentStoreError, OSError, *also_retry_for),
        retry_backoff=True,
        retry_backoff_max=300,
        max_retries=None,
    )
