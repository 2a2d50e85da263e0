"""Serving the API with waitress: a production WSGI server in pure Python (threads, no C
extension, no fork), so the same server runs in production, on a laptop and in the tests.
We chose it over gunicorn, which needs fork (no Windows, awkward inside a test process)
and whose sync workers would each hold their own document-store connections."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from flask import Flask
from waitress.server import create_server

log = logging.getLogger(__name__)

DEFAULT_THREADS = 8


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
        """Close every socket from inside the serving loop (so it ends cleanly), then wait
        for the thread and the worker threads."""
        server: Any = self.server

        def close_all() -> None:
            for dispatcher in list(server._map.values()):
                dispatcher.close()

        server.trigger.pull_trigger(close_all)
        self.thread.join(timeout=10)
        server.task_dispatcher.shutdown()


def serve(app: Flask, host: str, port: int, threads: int = DEFAULT_THREADS) -> None:
    """Serve ``app`` until interrupted."""
    server = create_server(app, host=host, port=port, threads=threads)
    log.info("API listening on http://%s:%s/v2 (Swagger UI at /v2/docs)", host, port)
    server.run()


def start_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve ``app`` from a daemon thread; ``port=0`` picks a free port."""
    server = create_server(app, host=host, port=port, threads=DEFAULT_THREADS)
    thread = threading.Thread(target=server.run, name="api-server", daemon=True)
    thread.start()
    return RunningServer(server, thread, host, server.effective_port)  # type: ignore[attr-defined]
