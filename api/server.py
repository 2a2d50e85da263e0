"""Serving the API with waitress: a production WSGI server in pure Python (threads, no C
extension, no fork), so the same server runs in production, on a laptop and in the tests.

One I/O thread reads every connection and hands complete requests to ``api_threads``
worker threads, so a slow or half-sent request holds a connection (up to
``api_connection_limit``, closed after ``api_channel_timeout`` idle seconds), never a
worker. The body limit of each request (:class:`api.limits.BodyLimits`) is applied by
waitress' own request parser as soon as the request line and headers are in: from
``Content-Length`` at once, and while a chunked body streams in; the answer is a 413 in
Kazoo's envelope (as are waitress' other refusals: bad URI, bad chunking, headers too
large) and nothing more of the body is read.

We measured it against gunicorn with gevent workers (docs/performance.md, "The API under
load", scripts/bench_api_load.py) and kept it: both meet the targets, waitress runs in the
test process as in production, and gunicorn needs fork (no Windows, awkward inside a
test process).
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import create_server
from waitress.utilities import Error, RequestEntityTooLarge

from api.context import EXTENSION
from api.http import error_envelope
from api.limits import BodyLimits
from kazoo_tasks.config import Settings

log = logging.getLogger(__name__)

WORKER_SHUTDOWN_TIMEOUT = 10.0
CLEANUP_INTERVAL = 10
"""Seconds between two sweeps of idle connections (at most ``api_channel_timeout``)."""


class EnvelopedError(Error):  # type: ignore[misc]
    """An error waitress answers itself (body too large, bad URI, bad chunking...), in
    Kazoo's envelope instead of waitress' text."""

    def __init__(self, error: Error, data: dict[str, Any]) -> None:
        super().__init__(error.body)
        self.code, self.reason, self.data = error.code, error.reason, data

    def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        message = self.reason.lower().replace(" ", "_")
        body = error_envelope(self.code, message, self.data, uuid.uuid4().hex)
        return (
            f"{self.code} {self.reason}",
            [("Content-Type", "application/json")],
            json.dumps(body).encode(),
        )


def limited_channel(limits: BodyLimits) -> type[HTTPChannel]:
    """A waitress channel whose requests are refused past their own body limit."""

    class Parser(HTTPRequestParser):  # type: ignore[misc]
        def parse_header(self, header_plus: bytes) -> None:
            super().parse_header(header_plus)
            # waitress refuses a body once it reaches max_request_body_size (>=)
            adj = copy.copy(self.adj)
            adj.max_request_body_size = limits.for_request(self.command, self.path) + 1
            self.adj = adj

        def received(self, data: bytes) -> int:
            consumed: int = super().received(data)
            error = self.error
            if error is not None and not isinstance(error, EnvelopedError):
                if isinstance(error, RequestEntityTooLarge):
                    limit = self.adj.max_request_body_size - 1
                    data = {"message": f"request body larger than {limit} bytes", "target": limit}
                else:
                    data = {"message": str(error.body)}
                self.error = EnvelopedError(error, data)
            return consumed

    class Channel(HTTPChannel):  # type: ignore[misc]
        parser_class = Parser

    return Channel


@dataclass
class RunningServer:
    """A waitress server started in a background thread (tests, the local runner)."""

    server: object
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop serving without ever writing to, or leaving in use, a closed descriptor.

        waitress' worker threads wake the serving loop by writing to its trigger, a pipe
        addressed by bare file-descriptor numbers, and ``pull_trigger(thunk)`` queues the
        thunk before it writes. A thunk that closes the trigger can therefore run before
        that write, which then lands on a closed number, or on whatever socket the process
        opened next under it (a broker or Redis connection: we saw both). So: close the
        listener and the connections from inside the loop, wait for the workers, take the
        trigger out of the loop's map (the loop ends once its map is empty), and close the
        trigger's pipe here, once nothing else can touch it."""
        server: Any = self.server
        trigger = server.trigger

        def close_connections() -> None:
            for dispatcher in list(server._map.values()):
                if dispatcher is server:  # the listener: its own close() would take the trigger
                    wasyncore.dispatcher.close(server)
                elif dispatcher is not trigger:
                    dispatcher.handle_close()  # also releases workers waiting to write

        trigger.pull_trigger(close_connections)
        server.task_dispatcher.shutdown(timeout=WORKER_SHUTDOWN_TIMEOUT)
        trigger.pull_trigger(trigger.del_channel)
        self.thread.join(timeout=WORKER_SHUTDOWN_TIMEOUT)
        if self.thread.is_alive():
            log.warning("API server thread still running after %ss", WORKER_SHUTDOWN_TIMEOUT)
        else:
            trigger.close()


def make_server(app: Flask, host: str, port: int) -> Any:
    """A waitress server for ``app`` with the limits of the app's settings (defaults for
    an app that has none)."""
    context = app.extensions.get(EXTENSION)
    settings: Settings = context.settings if context is not None else Settings()
    limits = BodyLimits.from_settings(settings)
    server = create_server(
        app,
        host=host,
        port=port,
        threads=settings.api_threads,
        connection_limit=settings.api_connection_limit,
        channel_timeout=settings.api_channel_timeout,
        cleanup_interval=min(CLEANUP_INTERVAL, settings.api_channel_timeout),
        max_request_body_size=limits.largest + 1,
    )
    server.channel_class = limited_channel(limits)
    return server


def serve(app: Flask, host: str, port: int) -> None:
    """Serve ``app`` until interrupted."""
    server = make_server(app, host, port)
    # waitress warns at every request queued behind busy threads: a flood under load
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    log.info("API listening on http://%s:%s/v2 (Swagger UI at /v2/docs)", host, port)
    server.run()


def start_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve ``app`` from a daemon thread; ``port=0`` picks a free port."""
    server = make_server(app, host, port)
    thread = threading.Thread(target=server.run, name="api-server", daemon=True)
    thread.start()
    return RunningServer(server, thread, host, server.effective_port)  # type: ignore[attr-defined]
