"""The readiness probe of :mod:`kazoo_tasks.testing` after this process has forked: a child
started by :mod:`multiprocessing` closes the connections of kombu's process-wide pools it
inherits, so a probe borrowing from that pool would write into a dead connection."""

from __future__ import annotations

import multiprocessing.context

from kazoo_tasks.celery_app import make_app
from kazoo_tasks.config import Settings
from kazoo_tasks.testing.processes import wait_for_workers


def test_given_pooled_connections_and_a_forked_child_when_probing_then_the_ping_goes_through(
    settings: Settings, fork_context: multiprocessing.context.BaseContext
) -> None:
    app = make_app(settings, name="pooled")
    with app.pool.acquire(block=True) as pooled:
        pooled.ensure_connection()
    child = fork_context.Process(target=int)
    child.start()
    child.join(10)
    assert child.exitcode == 0

    wait_for_workers(settings, 0, timeout=5)  # no worker runs: one ping that must not fail
    app.close()
