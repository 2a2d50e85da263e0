"""The real FreeSWITCH transcripts, cut into raw frames (byte for byte) for replay."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from kazoo_tasks.esl.frames import FrameReader, encode_event_plain, encode_frame, parse_event_plain
from tests.conftest import FREESWITCH_FIXTURES

REPLY_TYPES = ("command/reply", "api/response")


def split_frames(data: bytes) -> list[bytes]:
    """The raw bytes of every frame of a transcript; their concatenation is ``data``."""
    raw = [encode_frame(f.headers.items(), f.body) for f in FrameReader().feed(data)]
    if b"".join(raw) != data:
        raise AssertionError("transcript does not re-frame byte for byte")
    return raw


def content_type(frame: bytes) -> str:
    """The Content-Type of one raw frame."""
    return FrameReader().feed(frame)[0].content_type


@dataclass(frozen=True)
class Transcript:
    """A recorded connection: what FreeSWITCH sent (frames) and what the client sent."""

    name: str
    frames: tuple[bytes, ...]
    commands: tuple[bytes, ...]

    @classmethod
    @functools.cache
    def load(cls, name: str) -> Transcript:
        received = (FREESWITCH_FIXTURES / f"{name}.txt").read_bytes()
        sent = (FREESWITCH_FIXTURES / f"{name}.sent.txt").read_bytes()
        commands = tuple(c for c in sent.split(b"\n\n") if c)
        return cls(name, tuple(split_frames(received)), commands)

    def events(self) -> list[bytes]:
        """Every ``text/event-plain`` frame, in order."""
        return [f for f in self.frames if content_type(f) == "text/event-plain"]

    def reply_to(self, command_prefix: bytes, nth: int = 1) -> bytes:
        """The reply FreeSWITCH gave to the ``nth`` command starting with
        ``command_prefix`` (the N-th reply answers the N-th command, ``auth`` first)."""
        replies = [f for f in self.frames if content_type(f) in REPLY_TYPES]
        seen = 0
        for command, reply in zip(self.commands, replies, strict=False):
            if command.startswith(command_prefix):
                seen += 1
                if seen == nth:
                    return reply
        raise KeyError(f"{self.name}: no command #{nth} starting with {command_prefix!r}")

    def frame_after(self, frame: bytes) -> bytes:
        """The frame that follows ``frame`` (a disconnect notice after ``+OK bye``...)."""
        return self.frames[self.frames.index(frame) + 1]


CALL = Transcript.load("inbound_call_park_answer_play_hangup.plain")
"""A SIP call to 1000 that parks, is answered, plays a tone twice and hangs up."""

CALL_UUID = "e1068212-4fcf-4a0d-a64b-dbfd5a0cbd2e"
PLAYBACK_COMMAND_UUID = "a266559c-66f1-41ab-b326-32e55691ed38"
"""The ``Event-UUID`` the recorded client gave its playback ``sendmsg``."""

CALL_AFTER_PARK = [
    "CHANNEL_PARK",
    "CHANNEL_ANSWER",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_HANGUP_COMPLETE",
]
"""What the recorded call holds, from its park on, among the pipeline's event names."""

API = Transcript.load("api_replies")
REGISTER = Transcript.load("register.plain")
AUTH_FAILURE = split_frames((FREESWITCH_FIXTURES / "api_auth_failure.txt").read_bytes())


def call_events(call_id: str, command_id: str = PLAYBACK_COMMAND_UUID) -> list[bytes]:
    """The recorded call's events for channel ``call_id`` (36 characters, like the
    recorded UUID, so every Content-Length stays right); the playback's Application-UUID
    becomes ``command_id``."""
    if len(call_id) != len(CALL_UUID) or len(command_id) != len(PLAYBACK_COMMAND_UUID):
        raise ValueError("substitutes must keep the recorded lengths")
    old_call, new_call = CALL_UUID.encode(), call_id.encode()
    old_cmd, new_cmd = PLAYBACK_COMMAND_UUID.encode(), command_id.encode()
    return [f.replace(old_call, new_call).replace(old_cmd, new_cmd) for f in CALL.events()]


def park_index(events: list[bytes]) -> int:
    """Index of the CHANNEL_PARK frame in a call's events."""
    return next(i for i, f in enumerate(events) if b"Event-Name: CHANNEL_PARK\n" in f)


def completion_event(call_id: str, command_id: str, app: str, args: str = "") -> bytes:
    """A ``CHANNEL_EXECUTE_COMPLETE`` frame of the recorded call for channel ``call_id``:
    the recorded playback's completion with ``app`` (``args``) run as ``command_id``."""
    recorded = next(
        f
        for f in call_events(call_id)
        if b"Event-Name: CHANNEL_EXECUTE_COMPLETE\n" in f and PLAYBACK_COMMAND_UUID.encode() in f
    )
    plain = parse_event_plain(FrameReader().feed(recorded)[0].body)
    fields = {
        "Application": app,
        "Application-Data": args,
        "Application-UUID": command_id,
        "Application-Response": "_none_",
    }
    pairs = [(name, fields.get(name, value)) for name, value in plain.pairs]
    body = encode_event_plain(pairs)
    headers = [("Content-Length", str(len(body))), ("Content-Type", "text/event-plain")]
    return encode_frame(headers, body)
