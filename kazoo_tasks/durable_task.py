"""The Celery task options of work that writes documents and must never be lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import shared_task

from kazoo_tasks.docstore import DocumentStoreError


def store_writing_task(name: str) -> Callable[[Callable[..., Any]], Any]:
    """Decorator of a bound task named ``name`` that saves documents: acknowledged only
    once it ran, back on the queue when its worker dies, retried with back-off (at most
    300 s apart, without end) while the document store or the disk fails; no result."""
    return shared_task(
        name=name,
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,
        autoretry_for=(DocumentStoreError, OSError),
        retry_backoff=True,
        retry_backoff_max=300,
        max_retries=None,
    )
