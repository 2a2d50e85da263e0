"""Delivering the ``webhook`` module's requests (Kazoo's cf_webhook, sent through its
webhooks application): a Celery task on the housekeeping queue, off the call. The call
has gone on already; the request is tried ``tries`` times (a connection error, a timeout
or an answer that is not 2xx tries again, after 1, 2, 4... seconds), then given up, with
a log line either way. Redirects are not followed; the answer's body is not read.

POST sends the data as ``application/x-www-form-urlencoded`` (Kazoo's default format),
GET as the query string; nested values go as ``key[sub]=value``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import requests
from celery import Task, shared_task

log = logging.getLogger(__name__)

WEBHOOK_TASK = "kazoo.housekeeping.callflow_webhook"
MAX_BACKOFF = 30


def form_pairs(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """``data`` flattened as Kazoo's ``kz_http_util:json_to_querystring`` does."""
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            pairs += form_pairs(value, name)
        elif isinstance(value, list):
            for item in value:
                pairs += (
                    form_pairs({"": item}, name)
                    if isinstance(item, dict)
                    else [(f"{name}[]", _text(item))]
                )
        elif value is not None:
            pairs.append((name, _text(value)))
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@shared_task(name=WEBHOOK_TASK, bind=True, acks_late=True, ignore_result=True)
def callflow_webhook(self: Task, request: dict[str, Any]) -> bool:
    """Send one webhook request: ``uri``, ``method`` (post / get), ``data``, ``tries``,
    ``call_id``. Returns whether the server accepted it (2xx)."""
    settings = self.app.kazoo_settings  # type: ignore[attr-defined]
    timeout = settings.callflow_http_timeout
    body = urlencode(form_pairs(request["data"]))
    try:
        if request["method"] == "get":
            separator = "&" if "?" in request["uri"] else "?"
            answer = requests.get(
                f"{request['uri']}{separator}{body}",
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            )
        else:
            answer = requests.post(
                request["uri"], data=body, timeout=timeout, allow_redirects=False, stream=True,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )  # fmt: skip
        answer.close()
        failure = None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"
    except requests.RequestException as exc:
        failure = type(exc).__name__
    attempt = self.request.retries + 1
    if failure is None:
        log.info(
            "call %s: webhook %s accepted (try %d)", request["call_id"], request["uri"], attempt
        )
        return True
    if attempt < request["tries"]:
        log.warning(
            "call %s: webhook %s failed (%s), trying again",
            request["call_id"],
            request["uri"],
            failure,
        )
        raise self.retry(
            countdown=min(2 ** (attempt - 1), MAX_BACKOFF), max_retries=request["tries"] - 1
        )
    log.warning(
        "call %s: webhook %s failed (%s) after %d tries, given up",
        request["call_id"], request["uri"], failure, attempt,
    )  # fmt: skip
    return False
