"""A worker whose broker connection vanished without the broker noticing (its host's
network dropped the packets, TCP gave up) reconnects while RabbitMQ still holds the old
connection, and with it the worker's exclusive remote-control queue. The worker must wait
for the broker to give the old connection up, not exit."""

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

HEARTBEAT = 4
"""The worker's broker heartbeat: RabbitMQ gives a silent connection up after about two."""

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


def test_given_a_worker_when_its_connection_vanishes_unnoticed_by_the_broker_then_it_waits_for_its_mailbox_and_serves_again(  # noqa: E501
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
    wait_for_workers(settings, 1, timeout=6 * HEARTBEAT + 20)
    app = make_app(settings, name="reconnect-test")
    try:
        assert app.send_task(PING_TASK).get(timeout=30) == "pong"
    finally:
        app.close()
    assert worker.alive(), f"the worker exited:\n{worker.log()[-3000:]}"
