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
from waitress import wasyncore
from waitress.server import create_server

log = logging.getLogger(__name__)

DEFAULT_THREADS = 8
WORKER_SHUTDOWN_TIMEOUT = 10.0


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
