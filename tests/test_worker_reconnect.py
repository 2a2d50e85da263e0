"""A worker whose broker connection vanished without the broker noticing (its host's
network dropped the packets, TCP gave up) reconnects while RabbitMQ still holds the old
connection, and with it the worker's exclusive remote-control queue. The worker must go on
taking tasks, and get its remote control back once the broker gives the old connection up;
not exit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kazoo_tasks.celery_app import make_app
from kazoo_tasks.config import Settings
from kazoo_tasks.testing.processes import RoleProcess, wait_for_workers
from tests.tcp_proxy import TcpProxy
from tests.waiting import wait_for
from workers.housekeeping import PING_TASK

HEARTBEAT = 10
"""The worker's broker heartbeat: RabbitMQ gives a silent connection up after two or three
(about 30 s here), so the worker's first tasks after the reconnect run while it holds it."""

LOCKED = "still held by the broker for a previous connection"
"""What the worker logs each time it finds its remote-control queue locked."""


@pytest.fixture
def proxied_worker(settings: Settings, tmp_path: Path) -> Iterator[tuple[RoleProcess, TcpProxy]]:
    """A housekeeping worker whose broker connections go through a proxy."""
    proxy = TcpProxy(("127.0.0.1", 5672))
    value = settings.with_overrides(
        broker_url=f"amqp://guest:guest@127.0.0.1:{proxy.port}//", broker_heartbeat=HEARTBEAT
    )
    worker = RoleProcess(
        ["worker", "--roles", "housekeeping", "-c", "1"], value, tmp_path / "worker.log"
    ).start()
    try:
        wait_for_workers(settings, 1)
        yield worker, proxy
    finally:
        worker.stop()
        proxy.close()


def test_given_a_worker_when_its_connection_vanishes_unnoticed_by_the_broker_then_it_takes_tasks_and_gets_remote_control_back(  # noqa: E501
    settings: Settings, proxied_worker: tuple[RoleProcess, TcpProxy]
) -> None:
    worker, proxy = proxied_worker

    proxy.strand()

    wait_for(
        lambda: LOCKED in worker.log() or not worker.alive(),
        timeout=20,
        what="the worker to reconnect and find its remote-control queue locked",
    )
    assert worker.alive(), f"the worker exited:\n{worker.log()[-3000:]}"
    app = make_app(settings, name="reconnect-test")
    try:
        # while the broker still holds the old connection (a heartbeat is a third of that),
        # it also delivers to the old connection's consumer, until its prefetch (one) is
        # full: of three tasks, two at least reach the worker now
        pings = [app.send_task(PING_TASK) for _ in range(3)]
        wait_for(
            lambda: sum(ping.ready() for ping in pings) >= 2,
            timeout=HEARTBEAT,
            what="the worker to take tasks while its remote-control queue is locked",
        )
        wait_for_workers(settings, 1, timeout=6 * HEARTBEAT)
    finally:
        app.close()
    assert "remote control is back" in worker.log()
    assert worker.alive(), f"the worker exited:\n{worker.log()[-3000:]}"
