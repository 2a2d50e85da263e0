"""One inbound Event Socket connection to a FreeSWITCH node: greenswitch, repaired.

:class:`EslConnection` subclasses ``greenswitch.esl.InboundESL`` (0.0.19) and keeps its
shape (``connect``, ``authenticate``, ``send``, ``stop``, the reader greenlet started by
``start_event_handlers``) while replacing what breaks against a real FreeSWITCH 1.10.12:

* the reader is our incremental :class:`~kazoo_tasks.esl.frames.FrameReader` over raw
  ``recv`` chunks instead of greenswitch's ``readline`` parser (which crashes on JSON
  events and glues ``BACKGROUND_JOB`` bodies onto their headers); only plain events are
  subscribed to;
* there is no unbounded event queue and no handler loop: each event body is handed to
  ``on_event`` (the intake's non-blocking ``offer``) straight from the reader;
* ``send`` has a timeout; replies (``command/reply`` and ``api/response``) are paired with
  commands in wire order; when the connection goes, every pending command fails with
  :class:`ConnectionLost` instead of hanging. A command that times out closes the
  connection, since later replies could no longer be paired;
* a stream that cannot be framed (1 MB header block, bad ``Content-Length``) closes the
  connection, with the reason logged; the supervisor reconnects with back-off.

A connection object is used once: after it closes, the supervisor makes a new one.
"""

from __future__ import annotations

import logging
import socket as stdlib_socket
import time
from collections import deque
from collections.abc import Callable

import gevent
import gevent.socket as gsocket
from gevent.event import AsyncResult, Event
from gevent.lock import Semaphore
from greenswitch.esl import InboundESL, NotConnectedError

from kazoo_tasks.config import FreeswitchNode
from kazoo_tasks.esl.frames import Frame, FrameError, FrameReader
from kazoo_tasks.events import subscription_command
from workers.ecallmgr.stats import NodeStats

log = logging.getLogger(__name__)

RECV_SIZE = 256 * 1024
"""Bytes asked of the socket per read (about 40 plain events)."""

READER_SLICE = 0.005
"""Longest time the reader keeps the CPU before letting other greenlets run, seconds."""

_REPLY_TYPES = frozenset({"command/reply", "api/response"})


class EslError(Exception):
    """Base of the errors of an ESL connection."""


class ConnectionLost(EslError):
    """The connection closed (or could not be opened); pending commands fail with it."""


class CommandTimeout(EslError):
    """FreeSWITCH did not answer a command in time; the connection is closed."""


class AuthenticationFailed(EslError):
    """FreeSWITCH refused the password (or rejected this client by ACL)."""


class EslConnection(InboundESL):
    """An inbound ESL connection whose events go to ``on_event(body, received_at)``."""

    def __init__(
        self,
        node: FreeswitchNode,
        on_event: Callable[[bytes, float], None],
        stats: NodeStats,
        *,
        command_timeout: float = 5.0,
        connect_timeout: float = 5.0,
    ):
        if any(c in node.password for c in "\r\n\0"):
            raise ValueError(f"the ESL password of node {node.name} holds a line break or NUL")
        super().__init__(node.host, node.port, node.password, timeout=connect_timeout)
        self.node = node
        self.command_timeout = command_timeout
        self._on_event = on_event
        self._stats = stats
        self._frames = FrameReader()
        self._pending: deque[AsyncResult] = deque()
        self._write_lock = Semaphore()
        self._rejection = ""
        self.closed = Event()
        self.close_reason = ""
        self.sock: gsocket.socket | None = None

    # -- connecting ------------------------------------------------------------------

    def connect(self) -> None:
        """Connect, authenticate and subscribe; raises an :class:`EslError` on failure."""
        where = f"{self.node.name} ({self.host}:{self.port})"
        try:
            self.sock = gsocket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise ConnectionLost(f"cannot connect to FreeSWITCH {where}: {exc}") from exc
        self.sock.settimeout(None)
        self.sock.setsockopt(stdlib_socket.IPPROTO_TCP, stdlib_socket.TCP_NODELAY, 1)
        self.connected = True
        self.start_event_handlers()
        if not self._auth_request_event.wait(self.timeout) or self.closed.is_set():
            reason = self._rejection or self.close_reason or "no auth/request in time"
            self.close(reason)
            if self._rejection:
                raise AuthenticationFailed(f"FreeSWITCH {where} rejected us: {reason}")
            raise ConnectionLost(f"FreeSWITCH {where} did not greet us: {reason}")
        self.authenticate()
        reply = self.send(subscription_command())
        if not reply.reply_text.startswith("+OK"):
            self.close("subscription refused")
            raise EslError(f"FreeSWITCH {where} refused the subscription: {reply.reply_text}")

    def authenticate(self) -> None:
        """Send ``auth``; raise :class:`AuthenticationFailed` unless ``+OK accepted``."""
        reply = self.send(f"auth {self.password}")
        if reply.reply_text != "+OK accepted":
            self.close("authentication refused")
            raise AuthenticationFailed(
                f"FreeSWITCH {self.node.name} ({self.host}:{self.port}) refused the password "
                f"({reply.reply_text.strip()}); check KAZOO_FREESWITCH_NODES"
            )

    def start_event_handlers(self) -> None:
        """Start the reader greenlet (greenswitch's unbounded event loop is not used)."""
        self._receive_events_greenlet = gevent.spawn(self.receive_events)

    # -- reading -----------------------------------------------------------------------

    def receive_events(self) -> None:
        """The reader greenlet: read, frame, dispatch; never waits on anything but the
        socket (it yields the CPU every :data:`READER_SLICE` s of continuous work)."""
        assert self.sock is not None
        reason = "FreeSWITCH closed the connection"
        stats, frames, recv = self._stats, self._frames, self.sock.recv
        last_read = last_yield = None
        last_cpu = 0.0
        try:
            while True:
                before, cpu = time.perf_counter(), time.process_time()
                if last_read is not None:
                    stats.observe_reader_gap(before - last_read, cpu - last_cpu)
                data = recv(RECV_SIZE)
                last_read, last_cpu = time.perf_counter(), time.process_time()
                if not data:
                    break
                stats.incr("reader.bytes", len(data))
                received_at = time.time()
                for frame in frames.feed(data):
                    self.handle_event(frame, received_at)
                now = time.perf_counter()
                if last_yield is None or now - last_yield >= READER_SLICE:
                    gevent.sleep(0)
                    last_yield = time.perf_counter()
        except FrameError as exc:
            stats.incr("esl.frame_errors")
            reason = f"unframeable bytes from FreeSWITCH ({exc})"
            log.error("node %s: %s; closing to resynchronise", self.node.name, reason)
        except OSError as exc:
            reason = f"socket error: {exc}"
        finally:
            self.close(reason)

    def handle_event(self, frame: Frame, received_at: float) -> None:  # type: ignore[override]
        """Dispatch one frame: events to ``on_event``, replies to their commands."""
        self._stats.incr("reader.frames")
        content_type = frame.content_type
        if content_type == "text/event-plain":
            self._on_event(frame.body, received_at)
        elif content_type in _REPLY_TYPES:
            if self._pending:
                self._pending.popleft().set(frame)
            else:
                self._stats.incr("esl.orphan_replies")
                log.warning("node %s: reply with no command waiting: %.200r", self.node.name, frame)
        elif content_type == "auth/request":
            self._auth_request_event.set()
        elif content_type == "text/disconnect-notice":
            log.info("node %s: FreeSWITCH disconnects us", self.node.name)
            self.connected = False
        elif content_type == "text/rude-rejection":
            self._rejection = frame.body.decode("utf-8", "replace").strip() or "rude rejection"
            self._auth_request_event.set()
        else:
            self._stats.incr("esl.unexpected_frames")
            log.warning("node %s: unexpected frame ignored: %.200r", self.node.name, frame)

    # -- writing -----------------------------------------------------------------------

    def send(self, data: str, timeout: float | None = None) -> Frame:  # type: ignore[override]
        """Send a command (its line and header lines, without the final blank line)."""
        return self.send_frame((data + "\n\n").encode("utf-8"), timeout)

    def send_frame(self, raw: bytes, timeout: float | None = None) -> Frame:
        """Write one complete ESL frame and return its reply.

        Raises greenswitch's ``NotConnectedError`` when nothing was written (the caller
        may retry elsewhere), :class:`ConnectionLost` when the connection went while the
        command was in flight, :class:`CommandTimeout` when no reply came in time.
        """
        return self.send_frames([raw], timeout)[0]

    def send_frames(self, frames: list[bytes], timeout: float | None = None) -> list[Frame]:
        """Write complete ESL frames in one write (FreeSWITCH gets all or none of them
        from this side) and return their replies, in order; raises as
        :meth:`send_frame`."""
        waiters = [AsyncResult() for _ in frames]
        limit = self.command_timeout if timeout is None else timeout
        try:
            with gevent.Timeout(limit, CommandTimeout(f"no reply within {limit:g} s")):
                with self._write_lock:
                    if not self.connected or self.sock is None:
                        raise NotConnectedError(f"not connected to {self.node.name}")
                    self._pending.extend(waiters)
                    self.sock.sendall(b"".join(frames))
                return [waiter.get() for waiter in waiters]
        except CommandTimeout:
            self._stats.incr("esl.command_timeouts")
            self.close("a command timed out; replies can no longer be paired")
            raise
        except OSError as exc:
            self.close(f"write failed: {exc}")
            raise ConnectionLost(f"write to {self.node.name} failed: {exc}") from exc

    # -- closing -----------------------------------------------------------------------

    def close(self, reason: str) -> None:
        """Close now: fail every pending command with :class:`ConnectionLost`."""
        if self.closed.is_set():
            return
        self.connected = False
        self.close_reason = reason
        if self.sock is not None:
            self.sock.close()
        lost = ConnectionLost(f"connection to {self.node.name} closed: {reason}")
        while self._pending:
            self._pending.popleft().set_exception(lost)
        self._auth_request_event.set()
        self.closed.set()

    def stop(self) -> None:
        """Say ``exit`` (briefly waiting for ``+OK bye``), then close."""
        if self.connected:
            try:
                self.send("exit", timeout=1.0)
            except (EslError, NotConnectedError):
                pass
        self.close("stopped")
