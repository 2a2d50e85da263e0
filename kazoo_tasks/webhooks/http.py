"""One HTTP request to a customer's server, as Kazoo's webhooks send them.

``post`` / ``put`` send the data as ``application/x-www-form-urlencoded`` (Kazoo's
``form-data`` format: nested values as ``key[sub]=value``) or as JSON (``format: json``);
``get`` sends them as the query string. Redirects are not followed (a 3xx is a failure,
so a redirect never leads a request to another host) and the answer's body is not read:
what counts is the status (2xx is a success). A host the :class:`UrlGuard` refuses, its
name resolved right before the request, fails without a request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from kazoo_tasks.url_guard import UrlGuard


@dataclass(frozen=True)
class Sent:
    """What became of a request: the answer's ``status`` (None: no answer) and, when it
    failed, why (``HTTP 500``, ``ConnectTimeout``...); ``refused``: the URL guard refused
    the host, no request was made."""

    status: int | None
    failure: str | None
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.failure is None


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


def send(
    uri: str,
    method: str,
    data: dict[str, Any],
    *,
    timeout: float,
    guard: UrlGuard,
    body_format: str = "form-data",
    headers: dict[str, str] | None = None,
) -> Sent:
    """Send ``data`` to ``uri`` with ``method`` (get, post, put) unless ``guard`` refuses
    its host (then :attr:`Sent.failure` says why); never raises for what the server or the
    network does."""
    refused = guard.resolved_refusal(uri)
    if refused is not None:
        return Sent(None, refused, refused=True)
    extra = dict(headers or {})
    try:
        if method == "get":
            separator = "&" if "?" in uri else "?"
            query = urlencode(form_pairs(data))
            answer = requests.get(
                f"{uri}{separator}{query}", headers=extra, timeout=timeout,
                allow_redirects=False, stream=True,
            )  # fmt: skip
        else:
            if body_format == "json":
                body = json.dumps(data).encode()
                extra["Content-Type"] = "application/json"
            else:
                body = urlencode(form_pairs(data)).encode()
                extra["Content-Type"] = "application/x-www-form-urlencoded"
            answer = requests.request(
                method.upper(), uri, data=body, headers=extra, timeout=timeout,
                allow_redirects=False, stream=True,
            )  # fmt: skip
        answer.close()
    except requests.RequestException as exc:
        return Sent(None, type(exc).__name__)
    ok = 200 <= answer.status_code < 300
    return Sent(answer.status_code, None if ok else f"HTTP {answer.status_code}")
