"""A small inbound Event Socket server that answers with the real transcripts' bytes.

It is a stand-in for FreeSWITCH until the package's emulator lands: every frame it
writes is a frame FreeSWITCH 1.10.12 sent (tests/fixtures/freeswitch/), byte for byte —
the greeting, ``+OK accepted`` / ``-ERR invalid`` + disconnect notice, the subscription
reply, ``sendmsg`` ``+OK`` or ``-ERR invalid session id [...]``, ``api`` replies, ``+OK bye``
— and events are replayed from the recorded calls. It records every byte it receives so
tests can assert on exactly what reached the "switch".

The server runs an asyncio loop in a thread; its public methods are thread-safe.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from kazoo_tasks.esl.frames import FrameReader, encode_frame
from tests.ecallmgr.transcripts import API, AUTH_FAILURE, CALL

AUTH_REQUEST = CALL.frames[0]
AUTH_OK = CALL.reply_to(b"auth ")
EVENTS_OK = CALL.reply_to(b"event plain")
SENDMSG_OK = CALL.reply_to(b"sendmsg ")
API_OK = CALL.reply_to(b"api uuid_kill ")
UNKNOWN_UUID = "00000000-0000-0000-0000-000000000000"
SENDMSG_NO_SESSION = API.reply_to(b"sendmsg " + UNKNOWN_UUID.encode())
NO_SUCH_CHANNEL = API.reply_to(b"api uuid_kill " + UNKNOWN_UUID.encode())
CHANNELS_NONE = API.reply_to(b"api show channels as json")
RECORDED_CHANNEL = "2a68247a-9073-40d5-867b-4a8fb5ed272e"
"""The parked call of the recorded ``show channels`` / ``uuid_dump`` replies."""
DUMP = API.reply_to(f"api uuid_dump {RECORDED_CHANNEL}".encode())
BYE = API.reply_to(b"exit")
BYE_NOTICE = API.frame_after(BYE)
COMMAND_NOT_FOUND = API.reply_to(b"bogus_command")
CHANNEL_APIS = (b"uuid_kill", b"uuid_answer", b"uuid_break", b"uuid_transfer")


@dataclass
class PeerConnection:
    """One client connection, as the server saw it."""

    opened_at: float
    writer: asyncio.StreamWriter
    received: bytearray = field(default_factory=bytearray)
    commands: list[bytes] = field(default_factory=list)
    handled: int = 0
    """How many of ``commands`` the switch has dealt with (replied to, or held)."""
    authenticated: bool = False
    subscribed: bool = False
    closed: bool = False


class TranscriptSwitch:
    """An ESL server on 127.0.0.1 (free port) built from the recorded replies."""

    def __init__(self, password: str = "ClueCon"):
        self.password = password
        self.channels: set[str] = set()
        """Channel UUIDs that exist (``sendmsg`` and ``uuid_*`` succeed for them)."""
        self.globals: dict[str, str] = {}
        """Global variables (``global_setvar``/``global_getvar``: ecallmgr's written mark)."""
        self.hold_replies = False
        """When True, commands other than auth/event get no reply (a hung switch)."""
        self.accepting = True
        """When False, new connections are closed at once (a switch that is down)."""
        self.connections: list[PeerConnection] = []
        self.refused_at: list[float] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._lock = threading.Lock()

    # -- life cycle --------------------------------------------------------------------

    def start(self) -> TranscriptSwitch:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for conn in self.connections:
                conn.writer.transport.abort()

        self._call(shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def _call(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # -- observing ---------------------------------------------------------------------

    @property
    def live(self) -> list[PeerConnection]:
        """Connections still open."""
        with self._lock:
            return [c for c in self.connections if not c.closed]

    def subscribed(self) -> list[PeerConnection]:
        """Open connections that authenticated and subscribed to events."""
        return [c for c in self.live if c.subscribed]

    def commands(self, prefix: bytes = b"") -> list[bytes]:
        """Every command received so far (all connections), optionally filtered."""
        with self._lock:
            return [c for conn in self.connections for c in conn.commands if c.startswith(prefix)]

    # -- acting ------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Write ``data`` to every subscribed connection (one that the client closes
        meanwhile, as ecallmgr does on bytes it cannot frame, is marked closed)."""
        self._call(self._write_all(data))

    def send_stream(self, chunks: Iterable[bytes]) -> Future:
        """Write ``chunks`` to the subscribed connection as fast as it reads (awaiting
        each drain); returns a future of ``(bytes written, seconds taken)``."""
        return asyncio.run_coroutine_threadsafe(self._stream(chunks), self._loop)

    def cut(self) -> None:
        """Drop every connection abruptly (a switch crash or a network cut)."""

        async def abort() -> None:
            for conn in self.live:
                conn.closed = True
                conn.writer.transport.abort()

        self._call(abort())

    def _channel_list(self) -> bytes:
        """``show channels as json`` with one recorded parked-call row per channel."""
        if not self.channels:
            return CHANNELS_NONE
        recorded = _body(API.reply_to(b"api show channels as json", nth=2)).decode()
        row = json.loads(recorded)["rows"][0]
        rows = [{**row, "uuid": uuid} for uuid in sorted(self.channels)]
        listing = {"row_count": len(rows), "rows": rows}
        return api_response(json.dumps(listing, separators=(",", ":")).encode())

    # -- protocol ----------------------------------------------------------------------

    async def _write_all(self, data: bytes) -> None:
        for conn in self.subscribed():
            try:
                conn.writer.write(data)
                await conn.writer.drain()
            except ConnectionError:  # the client hung up mid-write (bytes it refused)
                conn.closed = True

    async def _stream(self, chunks: Iterable[bytes]) -> tuple[int, float]:
        conn = self.subscribed()[0]
        started, written = time.perf_counter(), 0
        for chunk in chunks:
            conn.writer.write(chunk)
            written += len(chunk)
            await conn.writer.drain()
        return written, time.perf_counter() - started

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.accepting:
            self.refused_at.append(time.monotonic())
            writer.transport.abort()
            return
        conn = PeerConnection(time.monotonic(), writer)
        with self._lock:
            self.connections.append(conn)
        writer.write(AUTH_REQUEST)
        try:
            while not conn.closed:
                command = await reader.readuntil(b"\n\n")
                with self._lock:
                    conn.received += command
                    conn.commands.append(command[:-2])
                reply = self._reply(conn, command[:-2])
                conn.handled += 1
                if reply:
                    writer.write(reply)
                    await writer.drain()
            writer.close()  # exit or a refused password: FreeSWITCH closes after its reply
            await writer.wait_closed()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            conn.closed = True
            if not writer.transport.is_closing():
                writer.transport.abort()

    def _reply(self, conn: PeerConnection, command: bytes) -> bytes:
        verb, _, rest = command.partition(b" ")
        if verb == b"auth":
            if rest.decode() == self.password:
                conn.authenticated = True
                return AUTH_OK
            conn.closed = True
            return b"".join(AUTH_FAILURE[1:])
        if not conn.authenticated:
            conn.closed = True
            return b""
        if verb == b"event" and rest.startswith(b"plain "):
            conn.subscribed = True
            return EVENTS_OK
        if verb == b"exit":
            conn.closed = True
            return BYE + BYE_NOTICE
        if self.hold_replies:
            return b""
        if verb == b"sendmsg":
            uuid = rest.split(b"\n", 1)[0].decode()
            if uuid in self.channels:
                return SENDMSG_OK
            return SENDMSG_NO_SESSION.replace(UNKNOWN_UUID.encode(), uuid.encode())
        if verb == b"api":
            words = rest.split(b" ")
            uuid = words[1].decode() if len(words) > 1 else ""
            if rest == b"show channels as json":
                return self._channel_list()
            if words[0] == b"global_setvar":  # as mod_commands: name=value, "+OK"
                name, _, value = b" ".join(words[1:]).decode().partition("=")
                self.globals[name.strip()] = value.strip()
                return api_response(b"+OK")
            if words[0] == b"global_getvar":  # unset: empty, which mod_event_socket sends so
                return api_response(self.globals.get(uuid, "").encode() or b"-ERR no reply\n")
            if words[0] == b"uuid_dump":
                if uuid not in self.channels:
                    return NO_SUCH_CHANNEL
                return api_response(_body(DUMP).replace(RECORDED_CHANNEL.encode(), words[1]))
            if words[0] in CHANNEL_APIS:
                return API_OK if uuid in self.channels else NO_SUCH_CHANNEL
        return COMMAND_NOT_FOUND


def _body(frame: bytes) -> bytes:
    return FrameReader().feed(frame)[0].body


def api_response(body: bytes) -> bytes:
    """An ``api/response`` frame as FreeSWITCH writes it."""
    headers = [("Content-Type", "api/response"), ("Content-Length", str(len(body)))]
    return encode_frame(headers, body)
