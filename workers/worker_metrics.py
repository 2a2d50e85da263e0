"""A Celery worker's metrics: task run times counted in the pool's children, served by
the parent (``KAZOO_WORKER_METRICS_PORT``) once the worker is ready.

The children write to the worker's multiprocess directory (:mod:`kazoo_tasks.metrics_dir`);
a child that exits has its live gauges forgotten.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from celery import signals

from kazoo_tasks.config import get_settings
from kazoo_tasks.metrics import TASK_LATENCY, TASKS, MetricsServer, process_dead, serve

_started: dict[str, float] = {}
_ready = threading.Event()
_server: list[MetricsServer] = []


@signals.task_prerun.connect
def _task_started(task_id: str, **_: Any) -> None:
    _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id, None)
    name = getattr(task, "name", "unknown")
    TASKS.labels(name, state or "UNKNOWN").inc()
    if started is not None:
        TASK_LATENCY.labels(name).observe(time.perf_counter() - started)


@signals.worker_ready.connect
def _serve_metrics(**_: Any) -> None:
    """In the worker's parent, once it consumes: serve ``/metrics`` and ``/readyz``."""
    _ready.set()
    if not _server:
        settings = get_settings()
        server = serve(settings.metrics_host, settings.worker_metrics_port, _ready.is_set)
        if server is not None:
            _server.append(server)


@signals.worker_shutting_down.connect
def _not_ready(**_: Any) -> None:
    _ready.clear()


@signals.worker_process_shutdown.connect
def _forget_child(**_: Any) -> None:
    process_dead(os.getpid())
