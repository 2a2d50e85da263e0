"""A real HTTP server on 127.0.0.1 for tests of what callflows send out (webhook, pivot):
it records every request and answers each path as the test says (status, body, delay,
headers; a body without ``Content-Length``, ended by closing the connection)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Answer:
    """How the server answers a path: ``status``, ``body``, after ``delay`` seconds."""

    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)
    declare_length: bool = True


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    body: str = ""


@dataclass
class WebServer:
    """The server; ``answers[path]`` is a list of answers given in turn (the last one
    repeats); ``received`` every request, in order."""

    url: str = ""
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, *answers: Answer) -> str:
        """Script ``path``; returns its full URL."""
        self.answers[path] = list(answers)
        return f"{self.url}{path}"

    def requests_to(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def _next(self, path: str) -> Answer:
        with self.lock:
            queue = self.answers.get(path) or [Answer(404, b"no such path")]
            return queue.pop(0) if len(queue) > 1 else queue[0]


def _handler(server: WebServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            with server.lock:
                server.received.append(
                    Received(
                        self.command, parts.path, dict(parse_qsl(parts.query)),
                        dict(parse_qsl(body)), {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )  # fmt: skip
            answer = server._next(parts.path)
            time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                if answer.declare_length:
                    self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)
            except OSError:  # the client gave up (a timeout)
                pass

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def serving() -> Iterator[WebServer]:
    """A :class:`WebServer` on a free port, stopped when the generator is closed (the body
    of a test module's ``web_server`` fixture)."""
    server = WebServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()
