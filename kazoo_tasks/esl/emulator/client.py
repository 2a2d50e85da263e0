"""A small blocking inbound ESL client, for the emulator's CLI, its benchmark and tests.

It is not the production listener (that is ecallmgr's): no reconnection, no backpressure.
It keeps every frame it receives, in order, in :attr:`EslClient.frames`.
"""

from __future__ import annotations

import json
import socket
import time
from collections import deque

from kazoo_tasks.esl.frames import Frame, FrameReader, PlainEvent, encode_frame, parse_event_plain

REPLY_TYPES = ("command/reply", "api/response")


class EslError(Exception):
    """The switch refused a command or went away."""


class EslClient:
    """One inbound Event Socket connection (authenticated on construction)."""

    def __init__(
        self, host: str, port: int, password: str | None = "ClueCon", *, timeout: float = 10.0
    ) -> None:
        """Connect, wait for ``auth/request`` and authenticate (unless ``password`` is None)."""
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = FrameReader()
        self.frames: list[Frame] = []
        self._replies: deque[Frame] = deque()
        self._events: deque[Frame] = deque()
        self.disconnected = False
        greeting = self._next(self._greeting, timeout)
        if greeting is None:
            raise EslError("no auth/request from the switch")
        if password is None:
            return
        reply = self.command(f"auth {password}")
        if not reply.reply_text.startswith("+OK"):
            raise EslError(f"auth refused: {reply.reply_text}")

    def _greeting(self) -> Frame | None:
        for frame in self.frames:
            if frame.content_type == "auth/request":
                return frame
        return None

    # -- low level ----------------------------------------------------------------------
    def _receive(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(262144)
        except TimeoutError:
            return False
        if not data:
            self.disconnected = True
            raise EslError("connection closed by the switch")
        for frame in self.reader.feed(data):
            self.frames.append(frame)
            kind = frame.content_type
            if kind in REPLY_TYPES:
                self._replies.append(frame)
            elif kind.startswith("text/event") or kind == "text/disconnect-notice":
                self._events.append(frame)
        return True

    def _next(self, ready, timeout: float):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while True:
            value = ready()
            if value:
                return value
            if not self._receive(deadline):
                return None

    def send(self, data: bytes) -> None:
        """Write raw bytes."""
        self.sock.sendall(data)

    def command(
        self,
        line: str,
        headers: list[tuple[str, str]] | None = None,
        *,
        timeout: float | None = None,
    ) -> Frame:
        """Send one command and return its reply (``command/reply`` or ``api/response``)."""
        data = (line + "\n").encode("utf-8")
        data += encode_frame(headers or []) if headers else b"\n"
        self.send(data)
        if self._next(lambda: self._replies, timeout or self.timeout) is None:
            raise EslError(f"no reply to {line!r}")
        return self._replies.popleft()

    def replies(self, count: int, *, timeout: float | None = None) -> list[Frame]:
        """The next ``count`` replies, for commands written with :meth:`send`."""
        got = []
        for _ in range(count):
            if self._next(lambda: self._replies, timeout or self.timeout) is None:
                raise EslError(f"{len(got)} of {count} replies came")
            got.append(self._replies.popleft())
        return got

    # -- conveniences -------------------------------------------------------------------
    def api(self, command: str, *, timeout: float | None = None) -> str:
        """``api <command>``; returns the body text."""
        return self.command(f"api {command}", timeout=timeout).reply_text

    def subscribe(self, *names: str) -> None:
        """``event plain <names>``."""
        reply = self.command("event plain " + " ".join(names or ("ALL",)))
        if not reply.reply_text.startswith("+OK"):
            raise EslError(reply.reply_text)

    def sendmsg(self, uuid_: str, headers: list[tuple[str, str]]) -> str:
        """``sendmsg <uuid>`` with ``headers``; returns the reply text."""
        return self.command(f"sendmsg {uuid_}", headers).reply_text

    def execute(self, uuid_: str, app: str, arg: str = "", *, event_uuid: str = "") -> str:
        """``sendmsg`` ``call-command: execute`` with ``event-lock: true``."""
        headers = [("call-command", "execute"), ("execute-app-name", app)]
        if arg:
            headers.append(("execute-app-arg", arg))
        headers.append(("event-lock", "true"))
        if event_uuid:
            headers.append(("Event-UUID", event_uuid))
        return self.sendmsg(uuid_, headers)

    def next_frame(self, timeout: float | None = None) -> Frame | None:
        """The next event or disconnect frame, or ``None`` after ``timeout``."""
        if self._next(lambda: self._events, self.timeout if timeout is None else timeout) is None:
            return None
        return self._events.popleft()

    def next_event(self, timeout: float | None = None) -> PlainEvent | None:
        """The next event (plain or json, decoded), or ``None`` after ``timeout``."""
        while True:
            frame = self.next_frame(timeout)
            if frame is None:
                return None
            if frame.content_type == "text/event-plain":
                return parse_event_plain(frame.body)
            if frame.content_type == "text/event-json":
                obj = json.loads(frame.body)
                body = obj.pop("_body", "")
                if body:
                    obj.pop("Content-Length", None)
                return PlainEvent([(k, str(v)) for k, v in obj.items()], body)

    def wait_event(
        self, name: str, *, uuid_: str | None = None, timeout: float | None = None
    ) -> PlainEvent:
        """Skip events until one named ``name`` (for channel ``uuid_``) arrives."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            event = self.next_event(max(0.0, deadline - time.monotonic()))
            if event is None:
                raise EslError(f"no {name} event in time")
            if event.name == name or event.headers.get("Event-Subclass") == name:
                if uuid_ is None or event.headers.get("Unique-ID") == uuid_:
                    return event

    def close(self) -> None:
        """Send ``exit`` (if still connected) and close the socket."""
        try:
            if not self.disconnected:
                self.send(b"exit\n\n")
        except OSError:
            pass
        self.sock.close()

    def __enter__(self) -> EslClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
