"""Events of the emulated switch: what one holds and how it goes on the wire.

FreeSWITCH builds every event the same way: a core block (``Event-Name`` ... ``Event-Sequence``),
headers the emitter adds first (``Hangup-Cause`` of CHANNEL_HANGUP_COMPLETE, ``Bridge-A-Unique-ID``
...), the channel's data (``Channel-*``, ``Caller-*``, ``Other-Leg-*``), its ``variable_*`` for
the event types that carry them, then the emitter's own headers (``Application``, ``DTMF-Digit``
...). :class:`Event` keeps those parts apart so that a channel's pre-encoded blocks are reused,
and it serializes itself once per format however many listeners receive it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass, field

from kazoo_tasks.esl.frames import encode_event_json, url_encode

Pairs = list[tuple[str, str]]

CALLING_SITES: dict[str, tuple[str, str, int]] = {
    "API": ("switch_loadable_module.c", "switch_api_execute", 2954),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", 1572),
    "CALL_UPDATE": ("mod_sofia.c", "sofia_receive_message", 2100),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", 3846),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1689),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", 301),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", 626),
    "CHANNEL_DATA": ("mod_commands.c", "uuid_dump_function", 6468),
    "CHANNEL_DESTROY": ("switch_core_session.c", "switch_core_session_perform_destroy", 1584),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", 2944),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", 2967),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", 3445),
    "CHANNEL_HANGUP_COMPLETE": (
        "switch_core_state_machine.c",
        "switch_core_session_reporting_state",
        943,
    ),
    "CHANNEL_ORIGINATE": ("switch_core_state_machine.c", "switch_core_session_run", 632),
    "CHANNEL_OUTGOING": ("switch_core_session.c", "switch_core_session_outgoing_channel", 768),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", 1002),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3505),
    "CHANNEL_PROGRESS_MEDIA": (
        "switch_channel.c",
        "switch_channel_perform_mark_pre_answered",
        3560,
    ),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", 2408),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1879),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", 1213),
    "COMMAND": ("switch_ivr_async.c", "switch_ivr_broadcast", 5731),
    "CODEC": ("switch_core_codec.c", "switch_core_session_set_read_codec", 279),
    "CODEC_REAL_READ": ("switch_core_codec.c", "switch_core_session_set_real_read_codec", 168),
    "CODEC_WRITE": ("switch_core_codec.c", "switch_core_session_set_write_codec", 450),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", 677),
    "HEARTBEAT": ("switch_core.c", "send_heartbeat", 95),
    "RE_SCHEDULE": ("switch_scheduler.c", "switch_scheduler_execute", 73),
    "MEDIA_BUG_START": ("switch_core_media_bug.c", "switch_core_media_bug_add", 1014),
    "MEDIA_BUG_STOP": ("switch_core_media_bug.c", "switch_core_media_bug_destroy", 84),
    "PLAYBACK_START": ("switch_ivr_play_say.c", "switch_ivr_play_file", 1646),
    "PLAYBACK_STOP": ("switch_ivr_play_say.c", "switch_ivr_play_file", 2020),
    "PRIVATE_COMMAND": ("switch_ivr.c", "switch_ivr_parse_next_event", 804),
    "RECORD_START": ("switch_ivr_async.c", "record_callback", 1481),
    "RECORD_STOP": ("switch_ivr_async.c", "send_record_stop_event", 1240),
    "RECORD_FILE_START": ("switch_ivr_play_say.c", "switch_ivr_record_file_event", 767),
    "RECORD_FILE_STOP": ("switch_ivr_play_say.c", "switch_ivr_record_file_event", 1030),
    "sofia::register": ("sofia_reg.c", "sofia_reg_handle_register_token", 2059),
    "sofia::unregister": ("sofia_reg.c", "sofia_reg_handle_register_token", 2213),
    "emulator::command": ("emulator", "emulator_command", 1),
    **{
        f"conference::maintenance:{action}": site
        for site, actions in (
            (("mod_conference.c", "conference_new", 3848), ("conference-create",)),
            (("mod_conference.c", "conference_thread_run", 863), ("conference-destroy",)),
            (("conference_member.c", "conference_member_add", 962), ("add-member",)),
            (("conference_member.c", "conference_member_del", 1355), ("del-member",)),
            (("conference_api.c", "conference_api_sub_mute", 339), ("mute-member",)),
            (("conference_api.c", "conference_api_sub_unmute", 492), ("unmute-member",)),
            (("conference_api.c", "conference_api_sub_deaf", 0), ("deaf-member",)),
            (("conference_api.c", "conference_api_sub_undeaf", 0), ("undeaf-member",)),
            (("conference_api.c", "conference_api_sub_kick", 902), ("kick-member",)),
            (("conference_api.c", "conference_api_sub_play", 2817), ("play-file",)),
            (("conference_api.c", "conference_api_sub_play", 0), ("play-file-member",)),
            (("conference_file.c", "conference_file_close", 52), ("play-file-done",)),
            (
                ("conference_file.c", "conference_file_close", 52),
                ("play-file-member-done",),
            ),
            (("conference_api.c", "conference_api_sub_lock", 0), ("lock",)),
            (("conference_api.c", "conference_api_sub_unlock", 0), ("unlock",)),
        )
        for action in actions
    },
}
"""Where FreeSWITCH 1.10.12 fires each event (``Event-Calling-*``), as the transcripts show
(conference actions the transcript does not hold have their function and line 0)."""


@dataclass(frozen=True)
class SwitchIdentity:
    """The constant part of every event: who the switch is."""

    core_uuid: str
    hostname: str
    ipv4: str = "192.0.2.2"
    ipv6: str = "fd00::2"

    def core_pairs(self) -> Pairs:
        return [
            ("Core-UUID", self.core_uuid),
            ("FreeSWITCH-Hostname", self.hostname),
            ("FreeSWITCH-Switchname", self.hostname),
            ("FreeSWITCH-IPv4", self.ipv4),
            ("FreeSWITCH-IPv6", self.ipv6),
        ]


def encode_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """The plain-event lines of ``pairs`` (values URL-encoded)."""
    return "".join(f"{name}: {url_encode(value)}\n" for name, value in pairs)


class EventDates:
    """Formats ``Event-Date-Local`` and ``Event-Date-GMT``, cached per second."""

    def __init__(self) -> None:
        self._second = -1
        self._local = ""
        self._gmt = ""

    def at(self, timestamp_us: int) -> tuple[str, str]:
        second = timestamp_us // 1_000_000
        if second != self._second:
            self._second = second
            self._local = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            self._gmt = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(second))
        return self._local, self._gmt


@dataclass
class ChannelData:
    """A snapshot of a channel's headers at the moment an event is fired.

    ``basic`` is the channel block (``Channel-State`` ... ``Other-Leg-*``) with ``basic_text``
    its plain encoding; ``variables`` is ``None`` for event types that carry no variables.
    """

    basic: Pairs
    basic_text: str
    variables: Pairs | None = None
    variables_text: str = ""


@dataclass(slots=True, eq=False, repr=False)
class Event:
    """One fired event with its sequence number, serialized lazily and once per format."""

    name: str
    _: KW_ONLY
    subclass: str | None
    sequence: int
    timestamp: int
    core: Pairs
    core_text: str
    lead: Pairs
    pre: Pairs
    channel: ChannelData | None
    post: Pairs
    body: str | None
    unique_id: str
    _plain: bytes | None = field(default=None, init=False)
    _json: bytes | None = field(default=None, init=False)
    _lookup: dict[str, str] | None = field(default=None, init=False)

    def pairs(self) -> Pairs:
        """Every header in wire order (repeated names kept)."""
        out = [*self.lead, *self.core, *self.pre]
        if self.channel is not None:
            out += self.channel.basic
            if self.channel.variables is not None:
                out += self.channel.variables
        out += self.post
        return out

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive, as FreeSWITCH looks up)."""
        if self._lookup is None:
            lookup: dict[str, str] = {}
            for key, value in self.pairs():
                lookup.setdefault(key.lower(), value)
            self._lookup = lookup
        return self._lookup.get(name.lower())

    def plain_frame(self) -> bytes:
        """The whole ``text/event-plain`` frame (outer headers and body)."""
        if self._plain is None:
            parts = [encode_pairs(self.lead), self.core_text, encode_pairs(self.pre)]
            if self.channel is not None:
                parts.append(self.channel.basic_text)
                if self.channel.variables is not None:
                    parts.append(self.channel.variables_text)
            parts.append(encode_pairs(self.post))
            if self.body is None:
                parts.append("\n")
                body = "".join(parts).encode("utf-8")
            else:
                own = self.body.encode("utf-8")
                parts.append(f"Content-Length: {len(own)}\n\n")
                body = "".join(parts).encode("utf-8") + own
            self._plain = (
                f"Content-Length: {len(body)}\nContent-Type: text/event-plain\n\n".encode() + body
            )
        return self._plain

    def json_frame(self) -> bytes:
        """The whole ``text/event-json`` frame."""
        if self._json is None:
            body = encode_event_json(self.pairs(), self.body)
            self._json = (
                f"Content-Length: {len(body)}\nContent-Type: text/event-json\n\n".encode() + body
            )
        return self._json
