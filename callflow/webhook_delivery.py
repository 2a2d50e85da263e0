"""Delivering the ``webhook`` module's requests (Kazoo's cf_webhook, sent through its
webhooks application): a Celery task on the housekeeping queue, off the call. The call
has gone on already; the request is tried ``tries`` times (a connection error, a timeout
or an answer that is not 2xx tries again, after 1, 2, 4... seconds), then given up, with
a log line either way. The request itself is :func:`kazoo_tasks.webhooks.http.send`
(form-encoded POST, or GET with the data as the query string); a ``uri`` whose host the
URL guard refuses (:mod:`kazoo_tasks.url_guard`, resolved before each try) is not asked
and is given up at once (a later try would be refused too).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

from kazoo_tasks.url_guard import UrlGuard
from kazoo_tasks.webhooks.http import send

log = logging.getLogger(__name__)

WEBHOOK_TASK = "kazoo.housekeeping.callflow_webhook"
MAX_BACKOFF = 30


@shared_task(name=WEBHOOK_TASK, bind=True, acks_late=True, ignore_result=True)
def callflow_webhook(self: Task, request: dict[str, Any]) -> bool:
    """Send one webhook request: ``uri``, ``method`` (post / get), ``data``, ``tries``,
    ``call_id``. Returns whether the server accepted it (2xx)."""
    settings = self.app.kazoo_settings  # type: ignore[attr-defined]
    sent = send(
        request["uri"], request["method"], request["data"],
        timeout=settings.callflow_http_timeout, guard=UrlGuard.from_settings(settings),
    )  # fmt: skip
    attempt = self.request.retries + 1
    if sent.ok:
        log.info(
            "call %s: webhook %s accepted (try %d)", request["call_id"], request["uri"], attempt
        )
        return True
    if attempt < request["tries"] and not sent.refused:
        log.warning(
            "call %s: webhook %s failed (%s), trying again",
            request["call_id"],
            request["uri"],
            sent.failure,
        )
        raise self.retry(
            countdown=min(2 ** (attempt - 1), MAX_BACKOFF), max_retries=request["tries"] - 1
        )
    log.warning(
        "call %s: webhook %s failed (%s) after %d tries, given up",
        request["call_id"], request["uri"], sent.failure, attempt,
    )  # fmt: skip
    return False
