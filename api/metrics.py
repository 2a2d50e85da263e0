"""The API's metrics: every request counted by route template and status (401s as auth
failures, 429s as rate-limit refusals), and ``/metrics`` served on the API's own port
(with the live calls of each account, read from Redis when scraped)."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, Response, g, request

from kazoo_tasks.metrics import (
    API_AUTH_FAILURES,
    API_LATENCY,
    API_RATE_LIMITED,
    API_REQUESTS,
    exposition,
)

UNMATCHED = "unmatched"
"""The route label of a request no route matched (404s of unknown paths): arbitrary
paths must not each become a label value."""


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _counted(response: Response) -> Response:
    rule = request.url_rule
    route = rule.rule if rule is not None else UNMATCHED
    status = response.status_code
    API_REQUESTS.labels(request.method, route, str(status)).inc()
    started = g.get("metrics_started")
    if started is not None:
        API_LATENCY.labels(route).observe(time.perf_counter() - started)
    if status == 401:
        API_AUTH_FAILURES.labels(route).inc()
    elif status == 429:
        API_RATE_LIMITED.labels(route).inc()
    return response


def register(app: Flask, refresh: Callable[[], None] | None = None) -> None:
    """Count ``app``'s requests and serve ``/metrics`` (calling ``refresh`` first: gauges
    read from shared state when scraped)."""

    def metrics() -> Response:
        if refresh is not None:
            refresh()
        body, content_type = exposition()
        return Response(body, content_type=content_type)

    app.before_request(_started)
    app.after_request(_counted)
    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])
