"""The inbound Event Socket: one :class:`EslConnection` per TCP client, as mod_event_socket.

Replies are written at once, in the order commands arrive (``command/reply``: Content-Type
then Reply-Text; ``api/response``: Content-Type then Content-Length). Events go through a
per-connection queue flushed as soon as the loop is free, so an ``api`` reply precedes the
events its command caused, as with FreeSWITCH. When the client stops reading, the queue
holds up to ``max_queued_events`` events; past that, events are lost, and once more than
``max_lost_events`` are lost the listener is killed with a disconnect notice, as
mod_event_socket does (100,000 and 500).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from dataclasses import dataclass, field

from kazoo_tasks.esl.emulator import api
from kazoo_tasks.esl.emulator.events import Event
from kazoo_tasks.esl.emulator.session import Message
from kazoo_tasks.esl.emulator.switch import Switch
from kazoo_tasks.esl.frames import encode_frame

log = logging.getLogger(__name__)

GOODBYE = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
MAX_COMMAND_BYTES = 1024 * 1024
"""A command (header block and body) larger than this closes the connection."""

KNOWN_EVENTS = frozenset(
    """CUSTOM CLONE CHANNEL_CREATE CHANNEL_DESTROY CHANNEL_STATE CHANNEL_CALLSTATE
    CHANNEL_ANSWER CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE
    CHANNEL_EXECUTE_COMPLETE CHANNEL_HOLD CHANNEL_UNHOLD CHANNEL_BRIDGE CHANNEL_UNBRIDGE
    CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_OUTGOING CHANNEL_PARK CHANNEL_UNPARK
    CHANNEL_APPLICATION CHANNEL_ORIGINATE CHANNEL_UUID API LOG INBOUND_CHAN OUTBOUND_CHAN
    STARTUP SHUTDOWN PUBLISH UNPUBLISH TALK NOTALK SESSION_CRASH MODULE_LOAD MODULE_UNLOAD
    DTMF MESSAGE PRESENCE_IN NOTIFY_IN PRESENCE_OUT PRESENCE_PROBE MESSAGE_WAITING
    MESSAGE_QUERY ROSTER CODEC BACKGROUND_JOB DETECTED_SPEECH DETECTED_TONE PRIVATE_COMMAND
    HEARTBEAT TRAP ADD_SCHEDULE DEL_SCHEDULE EXE_SCHEDULE RE_SCHEDULE RELOADXML NOTIFY
    PHONE_FEATURE PHONE_FEATURE_SUBSCRIBE SEND_MESSAGE RECV_MESSAGE REQUEST_PARAMS
    CHANNEL_DATA GENERAL COMMAND SESSION_HEARTBEAT CLIENT_DISCONNECTED SERVER_DISCONNECTED
    SEND_INFO RECV_INFO RECV_RTCP_MESSAGE SEND_RTCP_MESSAGE CALL_SECURE NAT RECORD_START
    RECORD_STOP PLAYBACK_START PLAYBACK_STOP CALL_UPDATE FAILURE SOCKET_DATA MEDIA_BUG_START
    MEDIA_BUG_STOP CONFERENCE_DATA_QUERY CONFERENCE_DATA CALL_SETUP_REQ CALL_SETUP_RESULT
    CALL_DETAIL DEVICE_STATE TEXT SHUTDOWN_REQUESTED ALL""".split()
)
"""Event names mod_event_socket accepts in ``event`` (the rest are ignored, as there)."""

_EXPLICIT_ONLY = ("emulator::",)
"""CUSTOM subclasses delivered only to listeners that name them (not to ``ALL``)."""


@dataclass
class Command:
    """One command from the client: its first line, headers and body."""

    line: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


class CommandReader:
    """Incremental parser of client commands (a line, ``Name: value`` lines, a blank line)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._pending: Command | None = None
        self._body_length = 0

    def feed(self, data: bytes) -> list[Command]:
        self._buffer += data
        out: list[Command] = []
        while True:
            if self._pending is None:
                match = re.search(rb"\r?\n\r?\n", self._buffer)
                if match is None:
                    if len(self._buffer) > MAX_COMMAND_BYTES:
                        raise ValueError("command header block too large")
                    return out
                block = bytes(self._buffer[: match.start()]).decode("utf-8", "replace")
                del self._buffer[: match.end()]
                lines = [line.rstrip("\r") for line in block.split("\n")]
                while lines and not lines[0].strip():
                    lines.pop(0)
                if not lines:
                    continue
                command = Command(lines[0].strip())
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep and name.strip():
                        command.headers[name.strip().lower()] = value.lstrip(" ")
                length = command.header("content-length")
                self._body_length = int(length) if length.isdigit() else 0
                if self._body_length > MAX_COMMAND_BYTES:
                    raise ValueError("command body too large")
                self._pending = command
            if len(self._buffer) < self._body_length:
                return out
            command = self._pending
            command.body = bytes(self._buffer[: self._body_length]).decode("utf-8", "replace")
            del self._buffer[: self._body_length]
            self._pending, self._body_length = None, 0
            out.append(command)


def reply_frame(text: str, extra: list[tuple[str, str]] | None = None) -> bytes:
    """A ``command/reply`` frame."""
    return encode_frame([("Content-Type", "command/reply"), ("Reply-Text", text), *(extra or [])])


def api_frame(text: str) -> bytes:
    """An ``api/response`` frame."""
    body = text.encode("utf-8")
    return encode_frame(
        [("Content-Type", "api/response"), ("Content-Length", str(len(body)))], body
    )


def disconnect_frame(text: str = GOODBYE) -> bytes:
    """A ``text/disconnect-notice`` frame."""
    body = text.encode("utf-8")
    return encode_frame(
        [("Content-Type", "text/disconnect-notice"), ("Content-Length", str(len(body)))], body
    )


class EslConnection(asyncio.Protocol):
    """One inbound Event Socket client."""

    def __init__(self, switch: Switch, connections: set[EslConnection]) -> None:
        self.switch = switch
        self.connections = connections
        self.transport: asyncio.Transport | None = None
        self.reader = CommandReader()
        self.authed = False
        self.format = "plain"
        self.all_events = False
        self.event_names: set[str] = set()
        self.subclasses: set[str] = set()
        self.filters: list[tuple[str, str]] = []
        self.my_uuid = ""
        self.pending: deque[Event] = deque()
        self.lost_events = 0
        self.closed = False
        self.paused = False
        self.hold_events = False
        self._flush_scheduled = False
        self._commands: deque[Command] = deque()
        self._busy = False
        self.peer = ""
        self.bytes_written = 0
        self.last_progress = switch.loop.time()
        """Loop time of the last write that reached the transport, or of the moment events
        started waiting again after an idle spell (stall detection)."""

    # -- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.connections.add(self)
        transport.write(encode_frame([("Content-Type", "auth/request")]))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.connections.discard(self)
        self.switch.listeners.discard(self)
        self.pending.clear()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self.last_progress = self.switch.loop.time()
        self._schedule_flush()

    def data_received(self, data: bytes) -> None:
        try:
            self._commands.extend(self.reader.feed(data))
        except ValueError as error:
            log.warning("closing ESL client %s: %s", self.peer, error)
            self.close()
            return
        self._run_commands()

    # -- commands -----------------------------------------------------------------------
    def _run_commands(self) -> None:
        while self._commands and not self._busy and not self.closed:
            command = self._commands.popleft()
            try:
                pending = self.handle(command)
            except Exception:
                log.exception("ESL command %r failed", command.line)
                self._write(reply_frame("-ERR command failed"))
                continue
            if pending is not None:
                self._busy = True
                self.switch.loop.create_task(self._await(pending))
                return

    async def _await(self, pending: asyncio.Future[None] | asyncio.Task[None]) -> None:
        try:
            await pending
        except Exception:
            log.exception("ESL command failed")
        finally:
            self._busy = False
            self.hold_events = False
            self._schedule_flush()
            self._run_commands()

    def handle(self, command: Command) -> asyncio.Task[None] | None:
        """Handle one command; returns a task when the reply has to wait (api originate)."""
        line = command.line
        lower = line.lower()
        if lower.startswith("exit") or lower.startswith("..."):
            self._write(reply_frame("+OK bye"))
            self.close(GOODBYE)
            return None
        if not self.authed:
            if lower.startswith("auth "):
                if line[5:].strip() == self.switch.config.password:
                    self.authed = True
                    self._write(reply_frame("+OK accepted"))
                else:
                    self._write(reply_frame("-ERR invalid"))
                    self.close(GOODBYE)
            else:
                self._write(reply_frame("-ERR command not found"))
            return None
        if lower.startswith("filter "):
            self._write(reply_frame(self._filter(line[7:])))
            return None
        if lower.startswith("myevents "):
            self._write(reply_frame(self._myevents(line[9:].strip())))
            return None
        if lower.startswith("sendmsg"):
            self._write(reply_frame(self._sendmsg(line[7:].strip(), command)))
            return None
        if lower.startswith("api "):
            return self._api(line[4:].strip())
        if lower.startswith("bgapi "):
            self._bgapi(line[6:].strip(), command)
            return None
        if lower.startswith(("linger", "nolinger")):
            self._write(reply_frame("-ERR not controlling a session"))
            return None
        if lower.startswith("event "):
            self._write(reply_frame(self._event(line[6:])))
            return None
        if lower.startswith("nixevent"):
            self._write(reply_frame(self._nixevent(line[8:])))
            return None
        if lower.startswith("noevents"):
            self._write(reply_frame(self._noevents()))
            return None
        self._write(reply_frame("-ERR command not found"))
        return None

    def _filter(self, text: str) -> str:
        text = text.strip()
        name, _, value = text.partition(" ")
        if name.lower() == "delete" and value:
            name, _, value = value.partition(" ")
            if name.lower() == "all":
                self.filters.clear()
            else:
                self.filters = [
                    (n, v)
                    for n, v in self.filters
                    if not (n.lower() == name.lower() and (not value or v == value))
                ]
            return f"+OK filter deleted. [{name}][{value}]"
        if value:
            if name.lower() == "add":
                name, _, value = value.partition(" ")
            self.filters.append((name, value))
            return f"+OK filter added. [{name}]=[{value}]"
        return "-ERR invalid syntax"

    def _myevents(self, uuid_: str) -> str:
        if self.switch.session(uuid_) is None:
            return "-ERR invalid uuid"
        self.my_uuid = uuid_
        self.all_events = True
        self._listen()
        return "+OK Events Enabled"

    def _sendmsg(self, uuid_: str, command: Command) -> str:
        uuid_ = uuid_ or command.header("session-id")
        session = self.switch.session(uuid_) if uuid_ else None
        if session is None:
            return f"-ERR invalid session id [{uuid_}]"
        kind = command.header("call-command")
        arg = command.header("execute-app-arg")
        if not arg and command.header("content-type").lower() == "text/plain":
            arg = command.body
        loops = command.header("loops")
        message = Message(
            command=kind,
            app=command.header("execute-app-name"),
            arg=arg,
            event_uuid=command.header("event-uuid"),
            loops=int(loops) if loops.lstrip("-").isdigit() else 1,
            headers=dict(command.headers),
        )
        self.switch.record_command(session, message)
        session.enqueue(message)
        return "+OK"

    def _api(self, text: str) -> asyncio.Task[None] | None:
        name, _, args = text.partition(" ")
        self.switch.record_api(name, args)
        result = api.execute(self.switch, name, args)
        if isinstance(result, str):
            self._write(api_frame(result or "-ERR no reply\n"))
            api.fire_api_event(self.switch, name, args)
            return None
        self.hold_events = True

        async def finish() -> None:
            try:
                text_ = await result
            except Exception:
                log.exception("api %s failed", name)
                text_ = f"-ERR {name} failed\n"
            self._write(api_frame(text_ or "-ERR no reply\n"))
            api.fire_api_event(self.switch, name, args)

        return self.switch.loop.create_task(finish())

    def _bgapi(self, text: str, command: Command) -> None:
        job = command.header("job-uuid") or self.switch.new_uuid()
        name, _, args = text.partition(" ")
        self.switch.record_api(name, args)
        self._write(reply_frame(f"+OK Job-UUID: {job}", [("Job-UUID", job)]))
        switch = self.switch

        async def background() -> None:
            try:
                result = await api.run(switch, name, args)
            except Exception:
                log.exception("bgapi %s failed", name)
                result = f"-ERR {name} failed\n"
            api.fire_api_event(switch, name, args)
            post = [("Job-UUID", job), ("Job-Command", name)]
            if args:
                post.append(("Job-Command-Arg", args))
            switch.fire("BACKGROUND_JOB", post=post, body=result or "-ERR no reply\n")

        switch.loop.create_task(background())

    def _event(self, text: str) -> str:
        words = text.split()
        key_count = 0
        custom = False
        for index, word in enumerate(words):
            upper = word.upper()
            if index == 0 and upper == "XML":
                return "-ERR the emulator does not produce xml events (plain or json)"
            if index == 0 and upper in ("PLAIN", "JSON"):
                self.format = upper.lower()
                continue
            if custom:
                self.subclasses.add(word)
                continue
            if upper in KNOWN_EVENTS:
                key_count += 1
                if upper == "ALL":
                    self.all_events = True
                else:
                    self.event_names.add(upper)
                if upper == "CUSTOM":
                    custom = True
        if not key_count:
            return "-ERR no keywords supplied"
        self._listen()
        return f"+OK event listener enabled {self.format}"

    def _nixevent(self, text: str) -> str:
        key_count = 0
        custom = False
        for word in text.split():
            upper = word.upper()
            if custom:
                self.subclasses.discard(word)
                continue
            if upper in KNOWN_EVENTS:
                key_count += 1
                if upper == "CUSTOM":
                    custom = True
                elif upper == "ALL":
                    self.all_events = False
                    self.event_names.clear()
                else:
                    if self.all_events:
                        self.all_events = False
                        self.event_names = set(KNOWN_EVENTS) - {"ALL"}
                    self.event_names.discard(upper)
        if not key_count:
            return "-ERR no keywords supplied"
        return "+OK events nixed"

    def _noevents(self) -> str:
        listening = self in self.switch.listeners
        self.switch.listeners.discard(self)
        self.pending.clear()
        self.all_events = False
        self.event_names.clear()
        self.subclasses.clear()
        if listening:
            return "+OK no longer listening for events"
        return "-ERR not listening for events"

    def _listen(self) -> None:
        self.switch.listeners.add(self)

    # -- events -------------------------------------------------------------------------
    def wants(self, name: str, subclass: str | None) -> bool:
        if subclass and subclass.startswith(_EXPLICIT_ONLY):
            return "CUSTOM" in self.event_names and subclass in self.subclasses
        if self.all_events:
            return True
        if name not in self.event_names:
            return False
        return not subclass or subclass in self.subclasses

    def _passes_filters(self, event: Event) -> bool:
        if self.my_uuid and event.unique_id != self.my_uuid:
            return False
        if not self.filters:
            return True
        send = False
        for name, spec in self.filters:
            value = event.header(name)
            if value is None:
                continue
            positive = True
            compare = spec
            while compare[:1] in ("+", "-", " "):
                if compare[0] == "-":
                    positive = False
                elif compare[0] == "+":
                    positive = True
                compare = compare[1:]
            if send and positive:
                continue
            if spec.startswith("/"):
                pattern = compare.strip("/")
                matched = re.search(pattern, value) is not None
            else:
                matched = value.lower() == compare.lower()
            if matched:
                if not positive:
                    return False
                send = True
        return send

    def deliver(self, event: Event) -> None:
        if self.closed or not self._passes_filters(event):
            return
        if len(self.pending) >= self.switch.config.max_queued_events:
            self.lost_events += 1
            if self.lost_events > self.switch.config.max_lost_events:
                log.critical("killing ESL listener %s: too many lost events", self.peer)
                self.close("killed listener because of lost events\n")
            return
        if self.lost_events:
            log.critical("ESL listener %s lost %d events", self.peer, self.lost_events)
            self.lost_events = 0
        if not self.pending:  # the stall clock runs only while something waits to be written
            self.last_progress = self.switch.loop.time()
        self.pending.append(event)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled and not self.closed:
            self._flush_scheduled = True
            self.switch.loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self.closed or self.paused or self.hold_events or self.transport is None:
            return
        pending = self.pending
        if not pending:
            return
        as_json = self.format == "json"
        chunks = []
        while pending and len(chunks) < 512:
            event = pending.popleft()
            chunks.append(event.json_frame() if as_json else event.plain_frame())
        data = b"".join(chunks)
        self.bytes_written += len(data)
        self.last_progress = self.switch.loop.time()
        self.transport.write(data)
        if pending:
            self._schedule_flush()

    # -- output -------------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.bytes_written += len(data)
            self.transport.write(data)

    def write_raw(self, data: bytes) -> None:
        """Fault injection: put bytes on the wire as they are."""
        self._write(data)

    def close(self, notice: str | None = None) -> None:
        """Send a disconnect notice (if given) and close the connection."""
        if self.closed:
            return
        if notice is not None:
            self._write(disconnect_frame(notice))
        self.closed = True
        self.switch.listeners.discard(self)
        self.pending.clear()
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Drop the TCP connection at once, without a word (fault injection)."""
        self.closed = True
        self.switch.listeners.discard(self)
        self.pending.clear()
        if self.transport is not None:
            self.transport.abort()
