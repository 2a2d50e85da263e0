"""Slow and half-sent requests cannot lock others out: they hold connections (up to
``api_connection_limit``), never the worker threads, so an ordinary request is still
served. Functional, not timed: the ordinary request only has to be answered."""

from __future__ import annotations

import socket

from api.server import RunningServer
from kazoo_tasks.config import Settings
from tests.crossbar import LoggedIn
from tests.rawhttp import connect

HALF_SENT_HEADERS = 200
"""Twice waitress' default connection limit, which used to lock everyone out at 100."""
HALF_SENT_BODIES = 50
"""Far more than the worker threads: a body that never completes must not hold one."""


def test_given_many_half_sent_requests_when_a_normal_request_comes_then_it_is_served(
    server: RunningServer, root: LoggedIn, api_settings: Settings
) -> None:
    assert HALF_SENT_BODIES > api_settings.api_threads
    held: list[socket.socket] = []
    try:
        for _ in range(HALF_SENT_HEADERS):
            sock = connect(server.url)
            sock.sendall(f"GET /v2/accounts/{root.id} HTTP/1.1\r\nHost: t\r\nX-Aut".encode())
            held.append(sock)
        for _ in range(HALF_SENT_BODIES):
            sock = connect(server.url)
            sock.sendall(
                b"PUT /v2/api_auth HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n"
                b'{"data": {"api_ke'
            )
            held.append(sock)
        answer = root.client.get(f"/accounts/{root.id}")
        assert answer.status_code == 200, answer.text
        login = root.client.put("/api_auth", {"api_key": root.api_key}, token="")
        assert login.status_code == 201
    finally:
        for sock in held:
            sock.close()
