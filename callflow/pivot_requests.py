"""The HTTP side of ``pivot``: a Celery task that asks the customer's server for the next
callflow and hands the answer to the call as an event.

The call's node does not wait on a socket: it sends :data:`PIVOT_TASK` (on the
housekeeping queue, off the call's worker) and waits for a :data:`PIVOT_RESPONSE` event
in its inbox (:func:`kazoo_tasks.inbox.deliver`), with a timer as the safety net should
the task be lost. The request is bounded whatever the server does:

* at most ``timeout`` seconds in all (a deadline checked before each redirect hop and
  after each read, each socket operation limited to what is left of it);
* a body of at most :data:`MAX_BODY` bytes, read as it comes (a larger one fails, its
  ``Content-Length`` or not), and no compressed bodies (``Accept-Encoding: identity``: a
  small gzip can inflate to gigabytes);
* at most :data:`MAX_REDIRECTS` redirects (a loop fails); a 301/302/303 turns a POST into
  a GET, as browsers do;
* a non-2xx answer, a connection error or a timeout fails;
* a host the settings' blacklist refuses (:mod:`kazoo_tasks.url_guard`, resolved right
  before each request and each redirect) fails without a request.

The event's ``pivot`` field says what happened: ``status`` (``ok`` / ``failed``),
``reason``, ``code``, ``content_type``, ``url`` (after redirects) and ``body`` (text).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode, urljoin

import requests
from celery import Task, shared_task

from kazoo_tasks import inbox, services
from kazoo_tasks.events import CallEvent
from kazoo_tasks.url_guard import UrlGuard
from kazoo_tasks.webhooks.http import form_pairs

log = logging.getLogger(__name__)

PIVOT_TASK = "kazoo.housekeeping.pivot_request"
PIVOT_RESPONSE = "PIVOT_RESPONSE"
"""The synthetic event that brings a pivot server's answer to the call."""
MAX_BODY = 256 * 1024
"""Largest answer read (bytes): a callflow or a TwiML document is a few kilobytes."""
MAX_REDIRECTS = 5
READ_SIZE = 65536
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class Failed(Exception):
    """The request failed (its message is the reason the call's trace shows)."""


def fetch(
    url: str,
    method: str,
    params: dict[str, Any],
    body_format: str,
    timeout: float,
    guard: UrlGuard,
    auth: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Ask ``url`` (``method`` get / post; ``params`` as the query string, or the body as a
    form or JSON per ``body_format``; ``auth``: HTTP basic credentials) within ``timeout``
    seconds, unless ``guard`` refuses its host (or a redirect's) as resolved now; the
    ``pivot`` field of the response event (``status`` ``ok`` or ``failed``)."""
    deadline = time.monotonic() + timeout
    try:
        with requests.Session() as session:
            session.auth = auth
            for _ in range(MAX_REDIRECTS + 1):
                refused = guard.resolved_refusal(url)
                if refused is not None:
                    raise Failed(refused)
                answer = _request(session, url, method, params, body_format, deadline)
                with answer:
                    location = answer.headers.get("Location")
                    if answer.status_code in _REDIRECTS and location:
                        url = urljoin(url, location)
                        method = "get" if answer.status_code in (301, 302, 303) else method
                        continue
                    if not 200 <= answer.status_code < 300:
                        raise Failed(f"HTTP {answer.status_code}")
                    return {
                        "status": "ok",
                        "code": answer.status_code,
                        "content_type": answer.headers.get("Content-Type", ""),
                        "url": url,
                        "body": _read(answer, deadline),
                    }
            raise Failed(f"more than {MAX_REDIRECTS} redirects")
    except Failed as failure:
        return {"status": "failed", "reason": str(failure), "url": url}
    except requests.Timeout:
        return {"status": "failed", "reason": "timeout", "url": url}
    except requests.RequestException as exc:
        return {"status": "failed", "reason": type(exc).__name__, "url": url}


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise Failed("timeout")
    return left


def _request(
    session: requests.Session,
    url: str,
    method: str,
    params: dict[str, Any],
    body_format: str,
    deadline: float,
) -> requests.Response:
    left = _remaining(deadline)
    headers = {"Accept-Encoding": "identity"}
    data: str | None = None
    if method == "get":
        query = urlencode(form_pairs(params))
        url = f"{url}{'&' if '?' in url else '?'}{query}" if query else url
    elif body_format == "json":
        headers["Content-Type"] = "application/json"
        data = json.dumps(params)
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        data = urlencode(form_pairs(params))
    return session.request(
        method.upper(), url, data=data, headers=headers, timeout=(left, left),
        allow_redirects=False, stream=True,
    )  # fmt: skip


def _read(answer: requests.Response, deadline: float) -> str:
    """The body, read a socket read at a time within the deadline and the size cap."""
    encoding = answer.headers.get("Content-Encoding", "identity").lower()
    if encoding not in ("identity", ""):
        raise Failed(f"content-encoding {encoding} not accepted")
    declared = answer.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise Failed(f"body of {declared} bytes (at most {MAX_BODY})")
    chunks: list[bytes] = []
    size = 0
    while True:
        _remaining(deadline)
        chunk = answer.raw.read1(READ_SIZE, decode_content=False)
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_BODY:
            raise Failed(f"body larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks).decode(answer.encoding or "utf-8", errors="replace")


def response_event(request: dict[str, Any], pivot: dict[str, Any]) -> CallEvent:
    """The :data:`PIVOT_RESPONSE` event for ``request`` (sequence 0: synthetic)."""
    at = time.time()
    return {
        "name": PIVOT_RESPONSE,
        "call_id": request["call_id"],
        "node": request["node"],
        "timestamp": at,
        "sequence": 0,
        "received_at": at,
        "headers": {"Event-Name": PIVOT_RESPONSE, "Unique-ID": request["call_id"]},
        "pivot_request": request["id"],
        "pivot": pivot,
    }


@shared_task(name=PIVOT_TASK, bind=True, acks_late=True, ignore_result=True)
def pivot_request(self: Task, request: dict[str, Any]) -> str:
    """Make one pivot request (``id``, ``call_id``, ``node``, ``url``, ``method``,
    ``body_format``, ``params``, ``timeout`` seconds, ``not_after``: the Unix time after
    which the call has stopped waiting; optional ``auth``: ``[user, password]``, never
    logged) and deliver the answer to the call; returns the status. A request taken too
    late is not made. Other modules that ask a server during the call (``nomorobo``) use
    it too."""
    settings = self.app.kazoo_settings  # type: ignore[attr-defined]
    left = min(request["timeout"], request["not_after"] - time.time())
    if left <= 0:
        log.warning("call %s: pivot request %s taken too late", request["call_id"], request["id"])
        return "late"
    guard = UrlGuard.from_settings(settings)
    auth = tuple(request["auth"]) if request.get("auth") else None
    pivot = fetch(
        request["url"], request["method"], request["params"], request["body_format"], left, guard,
        auth,  # type: ignore[arg-type]
    )  # fmt: skip
    client = services.redis_client(settings)
    try:
        inbox.deliver(client, self.app, settings, response_event(request, pivot))
    finally:
        client.close()
    log.info(
        "call %s: pivot %s %s: %s %s", request["call_id"], request["method"], request["url"],
        pivot["status"], pivot.get("reason") or pivot.get("code"),
    )  # fmt: skip
    return str(pivot["status"])
