"""Prometheus metrics of every role, and the small HTTP server that exposes them.

Every name starts with ``kazoo_``; docs/operations.md lists them with their labels. In a
role process the values live in the multiprocess directory :mod:`kazoo_tasks.metrics_dir`
prepared (so a Celery prefork worker's children count and its parent serves them); in
any other process (tests, scripts) they live in memory in the default registry.

Each role serves ``/metrics``, ``/healthz`` (the process answers) and ``/readyz`` (the
role is ready for work: ``ready()`` holds) on its port (:func:`serve`); the API serves
``/metrics`` on its own port (:func:`exposition`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from kazoo_tasks.metrics_dir import MULTIPROC_ENV

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
"""Seconds: from a Redis round trip to a document store that struggles."""

# -- ecallmgr ---------------------------------------------------------------------------

ESL_EVENTS = Counter(
    "kazoo_esl_events_received", "Events read from a FreeSWITCH node", ["node", "event"]
)
ESL_EVENTS_PUBLISHED = Counter(
    "kazoo_esl_events_published",
    "Call events stored in a call's inbox and announced to the workers",
    ["node", "event"],
)
ESL_EVENTS_DROPPED = Counter(
    "kazoo_esl_events_dropped",
    "Events dropped because ecallmgr's hand-off was full",
    ["node", "event"],
)
HANDOFF_DEPTH = Gauge(
    "kazoo_esl_handoff_depth",
    "Events waiting between the ESL reader and the publishers",
    ["node"],
    multiprocess_mode="livesum",
)
HANDOFF_HIGH_WATER = Gauge(
    "kazoo_esl_handoff_high_water",
    "Most events ever waiting in the hand-off since the process started",
    ["node"],
    multiprocess_mode="livemax",
)
ESL_COMMANDS = Counter(
    "kazoo_esl_commands",
    "Call commands taken from a node's queue, by outcome (sent, refused, failed, "
    "timed_out, lost, duplicate, requeued)",
    ["node", "outcome"],
)
ESL_CONNECTED = Gauge(
    "kazoo_esl_connected",
    "1 while this process has a subscribed ESL connection to the node",
    ["node"],
    multiprocess_mode="livesum",
)
LEASE_HELD = Gauge(
    "kazoo_lease_held",
    "1 while this process holds the lease (node:<name> for ecallmgr, changes)",
    ["lease"],
    multiprocess_mode="livesum",
)
CALLS_ACTIVE = Gauge(
    "kazoo_calls_active",
    "Calls under control on a FreeSWITCH node",
    ["node"],
    multiprocess_mode="livesum",
)
CALL_SETUP = Histogram(
    "kazoo_call_setup_seconds",
    "From CHANNEL_PARK read to the call's first command written to FreeSWITCH",
    ["node"],
    buckets=LATENCY_BUCKETS,
)

# -- workers ----------------------------------------------------------------------------

TASK_LATENCY = Histogram(
    "kazoo_task_duration_seconds",
    "Run time of a Celery task in a worker, by task name",
    ["task"],
    buckets=LATENCY_BUCKETS,
)
TASKS = Counter("kazoo_tasks", "Celery tasks run, by task name and state", ["task", "state"])
CALLS_ENDED = Counter("kazoo_calls_ended", "CDRs written, by hangup cause", ["cause"])
CACHE_LOOKUPS = Counter(
    "kazoo_cache_lookups", "Document cache look-ups, by cache and result", ["cache", "result"]
)
CACHE_INVALIDATIONS = Counter(
    "kazoo_cache_invalidations",
    "Document cache entries erased by a change notification or a flush",
    ["cache", "reason"],
)

WEBHOOK_DELIVERIES = Counter(
    "kazoo_webhook_deliveries",
    "Account webhook delivery tries, by hook and outcome (success, retry, failure: given up, "
    "disabled: the try that disabled the hook, dropped: the hook was off before its turn)",
    ["hook", "outcome"],
)

# -- changes ----------------------------------------------------------------------------

DOC_CHANGES = Counter(
    "kazoo_doc_changes_published", "Document change notifications published", ["change"]
)
DOC_CHANGES_UNANNOUNCED = Counter(
    "kazoo_doc_changes_unannounced",
    "Document changes not published: their type is in KAZOO_CHANGE_NOTICE_EXCLUDE_TYPES",
    ["pvt_type"],
)

# -- api --------------------------------------------------------------------------------

API_REQUESTS = Counter(
    "kazoo_api_requests", "API requests, by method, route and status", ["method", "route", "status"]
)
API_LATENCY = Histogram(
    "kazoo_api_request_duration_seconds",
    "API request handling time, by route",
    ["route"],
    buckets=LATENCY_BUCKETS,
)
API_AUTH_FAILURES = Counter(
    "kazoo_api_auth_failures", "API requests refused with 401, by route", ["route"]
)
API_RATE_LIMITED = Counter(
    "kazoo_api_rate_limited", "API requests refused with 429, by route", ["route"]
)
CALLS_ACTIVE_BY_ACCOUNT = Gauge(
    "kazoo_calls_active_by_account",
    "Live calls routed to each account, read from the engine's state in Redis when the API "
    "is scraped (every API instance reports the same values: aggregate with max)",
    ["account_id"],
    multiprocess_mode="livemax",
)


class AccountCallsGauge:
    """Sets :data:`CALLS_ACTIVE_BY_ACCOUNT` from ``count`` (account id → live calls) on
    each :meth:`refresh`; an account whose calls all ended drops to 0 (a multiprocess
    gauge cannot forget a label)."""

    def __init__(self, count: Callable[[], dict[str, int]]) -> None:
        self._count = count
        self._shown: set[str] = set()

    def refresh(self) -> None:
        counts = self._count()
        for account_id in self._shown - counts.keys():
            CALLS_ACTIVE_BY_ACCOUNT.labels(account_id).set(0)
        for account_id, calls in counts.items():
            CALLS_ACTIVE_BY_ACCOUNT.labels(account_id).set(calls)
        self._shown |= counts.keys()


# -- exposition -------------------------------------------------------------------------


def registry() -> CollectorRegistry:
    """The registry to expose: every process of the tree in multiprocess mode, this
    process's default registry otherwise."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return REGISTRY
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected, path=directory)
    return collected


def exposition() -> tuple[bytes, str]:
    """The current metrics in Prometheus' text format, and its content type."""
    return generate_latest(registry()), CONTENT_TYPE_LATEST


def process_dead(pid: int) -> None:
    """Forget the live gauges of a pool child that exited (multiprocess mode only)."""
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        multiprocess.mark_process_dead(pid, directory)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        log.debug("metrics: " + format, *args)


class MetricsServer:
    """``/metrics``, ``/healthz`` and ``/readyz`` of one role, served from a thread."""

    def __init__(self, host: str, port: int, ready: Callable[[], bool]) -> None:
        self.ready = ready
        self.server: WSGIServer = make_server(host, port, self._app, handler_class=_QuietHandler)
        self.port = self.server.server_port
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="metrics", daemon=True
        )

    def start(self) -> MetricsServer:
        """Serve in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def _app(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            body, content_type = exposition()
            status = "200 OK"
        elif path == "/healthz":
            body, content_type, status = b"ok\n", "text/plain", "200 OK"
        elif path == "/readyz":
            ready = self._is_ready()
            body = b"ready\n" if ready else b"not ready\n"
            status = "200 OK" if ready else "503 Service Unavailable"
            content_type = "text/plain"
        else:
            body, content_type, status = b"not found\n", "text/plain", "404 Not Found"
        start(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    def _is_ready(self) -> bool:
        try:
            return bool(self.ready())
        except Exception:  # a readiness probe that fails means "not ready"
            log.debug("readiness check failed", exc_info=True)
            return False


def serve(host: str, port: int, ready: Callable[[], bool] = lambda: True) -> MetricsServer | None:
    """Start the role's metrics server on ``port`` (0: none); a port in use is logged,
    not fatal (the role works without its metrics)."""
    if port <= 0:
        return None
    try:
        server = MetricsServer(host, port, ready).start()
    except OSError as exc:
        log.warning("cannot serve metrics on %s:%d (%s); no /metrics here", host, port, exc)
        return None
    log.info("metrics on http://%s:%d/metrics", host, server.port)
    return server
