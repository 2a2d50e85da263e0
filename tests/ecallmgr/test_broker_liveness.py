"""ecallmgr's broker heartbeats (workers/ecallmgr/broker_liveness.py) against a real
RabbitMQ: an idle connection kept alive stays up; one to a frozen node is given up.

The frozen case uses a private RabbitMQ node (SIGSTOP must never reach the shared one).
"""

from __future__ import annotations

import time

import pytest
from kombu import Connection, Exchange, Producer, Queue

from kazoo_tasks.celery_app import make_app
from kazoo_tasks.config import Settings
from tests.waiting import wait_for
from workers.ecallmgr.broker_liveness import broker_connection, drop, idle_interval, keep_alive

HEARTBEAT = 2


def keeps_alive(connection: Connection) -> bool:
    """One :func:`keep_alive`; False once it gave the connection up."""
    try:
        keep_alive(connection)
    except (*connection.connection_errors, OSError):
        return False
    return True


def idle_for(connection: Connection, seconds: float, interval: float) -> int:
    """Keep ``connection`` alive as an idle publisher does, for ``seconds``; returns how
    many checks passed (all of them, on a healthy broker)."""
    passed = 0
    for _ in range(int(seconds / interval)):
        passed += keeps_alive(connection)
        time.sleep(interval)
    return passed


@pytest.fixture
def heartbeat_settings(settings: Settings) -> Settings:
    return settings.with_overrides(broker_heartbeat=HEARTBEAT)


def test_given_an_idle_publisher_connection_with_heartbeats_when_it_is_kept_alive_for_four_heartbeats_then_it_stays_up_and_publishes(  # noqa: E501
    heartbeat_settings,
):
    app = make_app(heartbeat_settings)
    connection = broker_connection(app, heartbeat_settings)
    queue = Queue(f"{heartbeat_settings.namespace}.liveness", Exchange(""), auto_delete=True)
    try:
        connection.ensure_connection(max_retries=1)
        interval = idle_interval(heartbeat_settings)
        assert interval is not None
        checks = int(4 * HEARTBEAT / interval)

        passed = idle_for(connection, 4 * HEARTBEAT, interval)

        assert passed == checks  # no check gave the healthy connection up
        Producer(connection).publish({"ok": 1}, routing_key=queue.name, declare=[queue])
        with connection.SimpleQueue(queue) as simple:
            assert simple.get(timeout=5).payload == {"ok": 1}
    finally:
        drop(connection)


def test_given_a_connection_with_heartbeats_when_its_broker_freezes_then_keep_alive_gives_it_up(  # noqa: E501
    heartbeat_settings, private_broker
):
    frozen_settings = heartbeat_settings.with_overrides(broker_url=private_broker.url)
    app = make_app(frozen_settings)
    connection = broker_connection(app, frozen_settings)
    connection.ensure_connection(max_retries=1)
    private_broker.freeze()
    try:
        wait_for(lambda: not keeps_alive(connection), 30, "the silent broker given up")
    finally:
        private_broker.thaw()
        drop(connection)
