"""Celery's floor on this deployment: the round trip of a task that does nothing."""

from __future__ import annotations

import time

from celery import Celery

from workers.housekeeping import PING_TASK

WARM_UP = 20
TIMEOUT = 10.0


def round_trips(app: Celery, samples: int) -> list[float]:
    """``samples`` round trips (``send_task`` + ``get``) of the ping task, in seconds, one
    at a time, after :data:`WARM_UP` unmeasured ones; each result is forgotten after."""
    measured: list[float] = []
    for index in range(WARM_UP + samples):
        started = time.perf_counter()
        result = app.send_task(PING_TASK)
        result.get(timeout=TIMEOUT)
        elapsed = time.perf_counter() - started
        result.forget()
        if index >= WARM_UP:
            measured.append(elapsed)
    return measured
