"""Celery tasks a benchmark's worker ran, read from its ``/metrics`` before and after the
measured calls: how many tasks (and retries) one call costs, by task name."""

from __future__ import annotations

from typing import Any

from kazoo_tasks.testing.scrape import scrape

TaskCounts = dict[tuple[str, str], float]
"""Tasks the worker finished, by (task name, final state)."""

SUCCESS, RETRY = "SUCCESS", "RETRY"


def task_counts(url: str) -> TaskCounts | None:
    """The worker's task counters (None: they cannot be read, e.g. several workers share
    the port)."""
    try:
        samples = scrape(url)
    except OSError:
        return None
    counts: TaskCounts = {}
    for (name, labels), count in samples.items():
        if name == "kazoo_tasks_total":
            by = dict(labels)
            counts[by.get("task", "?"), by.get("state", "?")] = count
    return counts


def tasks_per_call(
    before: TaskCounts | None, after: TaskCounts | None, calls: int
) -> dict[str, Any]:
    """``tasks_per_call`` (tasks that succeeded, per call), ``tasks_by_name`` (the same by
    task name) and ``task_retries_per_call`` (runs that ended in a retry, per call)."""
    if before is None or after is None or not calls:
        return {"tasks_per_call": None, "tasks_by_name": None, "task_retries_per_call": None}
    ran = {key: after[key] - before.get(key, 0.0) for key in after}
    succeeded = {name: n for (name, state), n in ran.items() if state == SUCCESS and n}
    retried = sum(n for (_, state), n in ran.items() if state == RETRY)
    return {
        "tasks_per_call": round(sum(succeeded.values()) / calls, 2),
        "tasks_by_name": {name: round(n / calls, 2) for name, n in sorted(succeeded.items())},
        "task_retries_per_call": round(retried / calls, 2),
    }
