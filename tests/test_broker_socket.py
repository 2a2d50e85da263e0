"""``KAZOO_BROKER_TCP_USER_TIMEOUT`` reaches the sockets of the broker connections: the
Celery app's (workers, API, beat), ecallmgr's (publishers, command consumer)."""

from __future__ import annotations

import socket

import pytest
from kombu import Connection

from kazoo_tasks.celery_app import make_app
from kazoo_tasks.config import Settings
from workers.ecallmgr.broker_liveness import broker_connection

pytestmark = pytest.mark.skipif(
    not hasattr(socket, "TCP_USER_TIMEOUT"), reason="TCP_USER_TIMEOUT is Linux's"
)


def _user_timeout_ms(connection: Connection) -> int:
    connection.ensure_connection(max_retries=1)
    sock = connection.connection.transport.sock
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)


@pytest.mark.parametrize(("seconds", "expected_ms"), [(None, 1000), (7.5, 7500), (0, 0)])
def test_given_a_tcp_user_timeout_when_connecting_to_the_broker_then_every_socket_has_it(
    settings: Settings, seconds: float | None, expected_ms: int
) -> None:
    value = (
        settings if seconds is None else settings.with_overrides(broker_tcp_user_timeout=seconds)
    )
    app = make_app(value, name="socket-test")
    try:
        with app.connection_for_write() as celery_connection:
            assert _user_timeout_ms(celery_connection) == expected_ms
        with broker_connection(app, value) as ecallmgr_connection:
            assert _user_timeout_ms(ecallmgr_connection) == expected_ms
    finally:
        app.close()


def test_given_a_negative_tcp_user_timeout_then_the_settings_refuse_it(settings: Settings) -> None:
    with pytest.raises(ValueError, match="BROKER_TCP_USER_TIMEOUT"):
        settings.with_overrides(broker_tcp_user_timeout=-1)
