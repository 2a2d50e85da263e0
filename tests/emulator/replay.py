"""Replay a real FreeSWITCH transcript's commands against the emulator and compare.

``NAME.sent.txt`` holds what a client sent to a real FreeSWITCH 1.10.12 and ``NAME.txt``
what it got back. :func:`replay` sends the same commands to an emulator (placing the same
call as the SIP peer did), waiting before each command until the emulator has sent the
events the real switch had sent by then, and returns every frame it got.
:func:`compare` lists the differences that matter: reply texts, framing and header order of
each frame type, the event life cycle of each channel, the header names of each event in
order, and URL-encoding.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.esl.emulator.client import EslClient
from kazoo_tasks.esl.emulator.script import Step
from kazoo_tasks.esl.frames import Frame, FrameReader, PlainEvent, parse_event_plain
from tests.conftest import FREESWITCH_FIXTURES

NOT_EMULATED = frozenset(
    {
        "RECV_INFO",
        "HEARTBEAT",
        "RE_SCHEDULE",
        "PRESENCE_IN",
        "MESSAGE_QUERY",
        "CUSTOM:sofia::pre_register",
        "CUSTOM:sofia::register_attempt",
        "CUSTOM:conference::maintenance",
    }
)
"""Events of the transcripts the emulator does not produce (SIP-level or timer noise)."""

TIMING_DEPENDENT = frozenset(
    {"variable_sip_to_tag", "variable_sip_cseq", "variable_bridge_hangup_cause"}
)
"""Variables a real switch sets from another thread at a moment that varies (the caller's
SIP ACK, the bridge thread's end): intermediate events may or may not carry them; the
last event of the channel (CHANNEL_DESTROY) must."""

ACK_MOVED = frozenset(
    f"variable_{name}"
    for name in (
        "sip_to_tag",
        "sip_cseq",
        "sip_from_tag",
        "sip_call_id",
        "sip_full_via",
        "sip_from_display",
        "sip_full_from",
        "sip_full_to",
        "bridge_hangup_cause",
        "call_uuid",
    )
)
"""Variables whose position depends on when another thread of the real switch set them
(the caller's ACK, the bridge's end); left out when comparing the order of variables."""

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

ACCOUNT_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def fs_peer_dialplan(destination: str) -> list[tuple[str, str]]:
    """The dialplan (context_2) of the FreeSWITCH the transcripts were recorded on."""
    if destination == "9664":
        return [
            ("set", "fs_peer_scenario=tone"),
            ("answer", ""),
            ("playback", "tone_stream://%(1000,0,440);loops=2"),
            ("hangup", "NORMAL_CLEARING"),
        ]
    if len(destination) == 4 and destination.startswith("8"):
        return [
            ("set", "fs_peer_scenario=answer_park"),
            ("set", f"fs_peer_dialed={destination}"),
            ("answer", ""),
            ("park", ""),
        ]
    return [
        ("set", "fs_peer_scenario=park"),
        ("set", f"fs_peer_dialed={destination}"),
        ("export", f"fs_peer_account_id={ACCOUNT_ID}"),
        ("set", "hangup_after_bridge=false"),
        ("set", "continue_on_fail=true"),
        ("park", ""),
    ]


def load_frames(name: str) -> list[Frame]:
    return FrameReader().feed((FREESWITCH_FIXTURES / f"{name}.txt").read_bytes())


def sent_commands(name: str) -> list[str]:
    """The commands of ``NAME.sent.txt`` (each ends with an empty line)."""
    text = (FREESWITCH_FIXTURES / f"{name}.sent.txt").read_text()
    return [c for c in text.split("\n\n") if c.strip()]


def decode(frame: Frame) -> PlainEvent:
    """A plain or JSON event frame as a :class:`PlainEvent`."""
    if frame.content_type == "text/event-json":
        pairs = json.loads(frame.body, object_pairs_hook=list)
        body = next((v for k, v in pairs if k == "_body"), "")
        if body:
            pairs = [(k, v) for k, v in pairs if k not in ("_body", "Content-Length")]
        return PlainEvent([(k, v if isinstance(v, str) else str(v)) for k, v in pairs], body)
    return parse_event_plain(frame.body)


def event_key(event: PlainEvent) -> str:
    if event.name == "CUSTOM":
        return f"CUSTOM:{event.headers.get('Event-Subclass', '')}"
    if event.name == "COMMAND":  # PRIVATE_COMMAND repeats the COMMAND it comes from first
        names = [v for n, v in event.pairs if n == "Event-Name"]
        return names[-1]
    return event.name


def is_event(frame: Frame) -> bool:
    return frame.content_type in ("text/event-plain", "text/event-json")


def is_sendmsg_echo(event: PlainEvent) -> bool:
    """A PRIVATE_COMMAND repeating a ``sendmsg`` once its application returned.

    The real switch fires it only when the park loop takes the message through
    ``switch_ivr_parse_next_event``; when its read loop takes it through
    ``switch_ivr_parse_event`` there is none. Which one happens varies from run to run
    (bridge_app_busy.plain has it, bridge_app_busy.json not), so it is never compared.
    """
    return (
        bool(event.pairs)
        and event.pairs[0][0] == "Command"
        and event.pairs[0][1].startswith("sendmsg")
    )


@dataclass(frozen=True)
class Tolerance:
    """Something a real transcript holds that the emulator does not reproduce, and why:
    events left out of the comparison, variables left out of the sets and orders."""

    why: str
    events: Callable[[PlainEvent], bool] = lambda _event: False
    variables: frozenset[str] = frozenset()


SENDMSG_ECHO = Tolerance(
    "the real switch fires the PRIVATE_COMMAND of a sendmsg in some runs only",
    events=is_sendmsg_echo,
)
ALWAYS = (SENDMSG_ECHO,)
"""Tolerances of every transcript (only where the real switch itself varies)."""


def compared(event: PlainEvent, tolerances: Sequence[Tolerance] = ()) -> bool:
    """Whether an event of a transcript takes part in the comparison."""
    if event_key(event) in NOT_EMULATED:
        return False
    return not any(t.events(event) for t in (*ALWAYS, *tolerances))


@dataclass
class Scenario:
    """How to reproduce one transcript: the call the SIP peer made and what it did."""

    name: str
    destination: str | None = None
    uuid: str | None = None
    caller_script: list[Step] = field(default_factory=list)
    place_before: int = 2
    """Index of the command before which the call is placed (0 is ``auth``)."""
    setup: Callable[[Emulator], None] | None = None
    tolerances: tuple[Tolerance, ...] = ()
    """What of this transcript the emulator does not reproduce (documented, with why)."""
    time_scale: float | None = None
    """Slower than the fixture's when the scenario's timings are close (a digit 60 ms
    before the prompt it breaks ends)."""


def _main_call(frames: list[Frame]) -> tuple[str, str]:
    for frame in frames:
        if is_event(frame):
            event = decode(frame)
            if event.name == "CHANNEL_CREATE" and event.headers.get("Call-Direction") == "inbound":
                return event.headers["Unique-ID"], event.headers["Caller-Destination-Number"]
    raise AssertionError("transcript has no inbound call")


def _expected_before(frames: list[Frame], tolerances: Sequence[Tolerance]) -> list[Counter[str]]:
    """For each reply, the event names the real switch had sent before it."""
    out: list[Counter[str]] = []
    seen: Counter[str] = Counter()
    for frame in frames:
        if is_event(frame):
            event = decode(frame)
            if compared(event, tolerances):
                seen[event_key(event)] += 1
        elif frame.content_type in ("command/reply", "api/response"):
            out.append(Counter(seen))
    return out


def replay(scenario: Scenario, emulator: Emulator, timeout: float = 5.0) -> list[Frame]:
    """Send the scenario's commands to ``emulator``; return every frame received."""
    real = load_frames(scenario.name)
    commands = sent_commands(scenario.name)
    expected = _expected_before(real, scenario.tolerances)
    main_uuid, destination = scenario.uuid, scenario.destination
    if destination is None and any(is_event(f) for f in real):
        main_uuid, destination = _main_call(real)
    if scenario.time_scale is not None:
        emulator.config.time_scale = scenario.time_scale
    if scenario.setup is not None:
        scenario.setup(emulator)
    client = EslClient("127.0.0.1", emulator.port, None, timeout=timeout)
    mapping: dict[str, str] = {}
    replies = 0
    try:
        for index, command in enumerate(commands):
            if index == scenario.place_before and destination:
                call = emulator.place_call(
                    destination,
                    caller_id_number="+14155550100",
                    caller_id_name="Alice Example",
                    uuid=main_uuid,
                    script=scenario.caller_script,
                )
                if not any(is_event(f) for f in client.frames):
                    call.wait_parked(timeout)
            if index and index < len(expected):
                _wait_for_events(client, expected[index], timeout)
            for real_uuid, emulated in mapping.items():
                command = command.replace(real_uuid, emulated)
            client.send((command + "\n\n").encode())
            if command.startswith("exit") or (index == 0 and "Wrong" in command):
                break
            reply = _next_reply(client, replies, timeout)
            replies += 1
            _learn(mapping, real, reply, replies)
        _drain(client, timeout)
    finally:
        client.sock.close()
    return client.frames


def _received_counts(client: EslClient) -> Counter[str]:
    events = (decode(f) for f in client.frames if is_event(f))
    return Counter(event_key(e) for e in events if compared(e))


def _wait_for_events(client: EslClient, wanted: Counter[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        have = _received_counts(client)
        if all(have[k] >= n for k, n in wanted.items()):
            return
        if time.monotonic() > deadline:
            return
        try:
            client._receive(min(deadline, time.monotonic() + 0.05))
        except Exception:
            return


def _next_reply(client: EslClient, index: int, timeout: float) -> Frame:
    deadline = time.monotonic() + timeout
    while True:
        replies = [f for f in client.frames if f.content_type in ("command/reply", "api/response")]
        if len(replies) > index:
            return replies[index]
        if time.monotonic() > deadline:
            raise AssertionError(f"no reply #{index}")
        client._receive(deadline)


def _drain(client: EslClient, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    try:
        while client._receive(deadline):
            pass
    except Exception:
        pass


def _learn(mapping: dict[str, str], real: list[Frame], reply: Frame, count: int) -> None:
    """Map uuids the real switch generated to the emulator's, from the n-th replies."""
    real_replies = [f for f in real if f.content_type in ("command/reply", "api/response")]
    if count > len(real_replies):
        return
    mine = UUID.findall(reply.reply_text)
    theirs = UUID.findall(real_replies[count - 1].reply_text)
    if len(mine) == len(theirs):
        for a, b in zip(theirs, mine, strict=True):
            if a != b:
                mapping[a] = b


# -- comparison ------------------------------------------------------------------------
def normalize_reply(text: str) -> str:
    """A reply with what varies from run to run replaced: uuids, and the values of
    ``show ... as json`` rows (their columns and count stay)."""
    if text.startswith('{"row_count":'):
        data = json.loads(text)
        rows = [sorted(row) for row in data.get("rows", [])]
        return f"row_count={data['row_count']} columns={rows}"
    return UUID.sub("<uuid>", text)


def frame_shape(frame: Frame) -> list[str]:
    return list(frame.headers)


def header_names(event: PlainEvent) -> list[str]:
    return [n for n, _ in event.pairs if not n.startswith("variable_")]


def variable_names(event: PlainEvent) -> list[str]:
    return [n for n, _ in event.pairs if n.startswith("variable_")]


def channel_events(
    frames: list[Frame], tolerances: Sequence[Tolerance] = ()
) -> dict[str, list[tuple[PlainEvent, Frame]]]:
    out: dict[str, list[tuple[PlainEvent, Frame]]] = {}
    for frame in frames:
        if not is_event(frame):
            continue
        event = decode(frame)
        if not compared(event, tolerances):
            continue
        out.setdefault(event.headers.get("Unique-ID", ""), []).append((event, frame))
    return out


def match_channels(
    real: dict[str, list[tuple[PlainEvent, Frame]]], mine: dict[str, list[tuple[PlainEvent, Frame]]]
) -> dict[str, str]:
    """Pair the real switch's channels with the emulator's.

    A uuid both sides share (the caller's, an ``origination_uuid``) pairs with itself; the
    others (B legs the switch named) pair by channel name, in order of appearance.
    """
    pairs = {uuid_: uuid_ for uuid_ in real if uuid_ in mine}
    free = [uuid_ for uuid_ in mine if uuid_ not in pairs]
    for uuid_, events in real.items():
        if uuid_ in pairs:
            continue
        name = events[0][0].headers.get("Channel-Name")
        for candidate in free:
            if mine[candidate][0][0].headers.get("Channel-Name") == name:
                pairs[uuid_] = candidate
                free.remove(candidate)
                break
    return pairs


@dataclass
class Comparison:
    """Differences between a real transcript and the emulator's frames."""

    replies: list[str] = field(default_factory=list)
    framing: list[str] = field(default_factory=list)
    lifecycle: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    encoding: list[str] = field(default_factory=list)


def compare(
    real: list[Frame],
    mine: list[Frame],
    *,
    reply_normalizers: dict[int, Callable[[str], str]] | None = None,
    uuid_map: dict[str, str] | None = None,
    tolerances: Sequence[Tolerance] = (),
) -> Comparison:
    result = Comparison()
    untold = frozenset().union(*(t.variables for t in tolerances))
    reply_normalizers = reply_normalizers or {}
    real_replies = [f for f in real if not is_event(f)]
    my_replies = [f for f in mine if not is_event(f)]
    if len(real_replies) != len(my_replies):
        result.replies.append(
            f"{len(real_replies)} non-event frames in the transcript, {len(my_replies)} here: "
            f"{[f.reply_text[:40] for f in my_replies]}"
        )
    for index, (a, b) in enumerate(zip(real_replies, my_replies, strict=False)):
        if a.content_type != b.content_type:
            result.framing.append(f"frame {index}: {a.content_type} vs {b.content_type}")
            continue
        if frame_shape(a) != frame_shape(b):
            result.framing.append(f"frame {index}: headers {frame_shape(a)} vs {frame_shape(b)}")
        norm = reply_normalizers.get(index, normalize_reply)
        if norm(a.reply_text) != norm(b.reply_text):
            result.replies.append(f"frame {index}: {a.reply_text!r} vs {b.reply_text!r}")
    for frame in mine:
        if is_event(frame) and list(frame.headers) != ["Content-Length", "Content-Type"]:
            result.framing.append(f"event frame headers {list(frame.headers)}")
    real_channels = channel_events(real, tolerances)
    my_channels = channel_events(mine, tolerances)
    uuid_map = {**match_channels(real_channels, my_channels), **(uuid_map or {})}
    for extra in set(my_channels) - set(uuid_map.values()):
        names = [event_key(e) for e, _ in my_channels[extra]]
        result.lifecycle.append(f"{extra}: a channel the real switch did not have: {names}")
    for real_uuid, events in real_channels.items():
        my_uuid = uuid_map.get(real_uuid, real_uuid)
        theirs = events
        ours = my_channels.get(my_uuid, [])
        names_a = [event_key(e) for e, _ in theirs]
        names_b = [event_key(e) for e, _ in ours]
        if names_a != names_b:
            result.lifecycle.append(
                f"{real_uuid or '(no channel)'}:\n  real {names_a}\n  emu  {names_b}"
            )
        if not real_uuid:
            continue
        for (a, fa), (b, fb) in zip(theirs, ours, strict=False):
            if event_key(a) != event_key(b):
                break
            label = f"{event_key(a)} #{a.headers.get('Event-Sequence')}"
            if header_names(a) != header_names(b):
                result.headers.append(f"{label}: {_list_diff(header_names(a), header_names(b))}")
            va, vb = set(variable_names(a)) - untold, set(variable_names(b)) - untold
            if a.name != "CHANNEL_DESTROY":
                va, vb = va - TIMING_DEPENDENT, vb - TIMING_DEPENDENT
            if va != vb:
                result.variables.append(
                    f"{label}: missing {sorted(va - vb)} extra {sorted(vb - va)}"
                )
            order_a = [n for n in variable_names(a) if n not in ACK_MOVED | untold and n in vb]
            order_b = [n for n in variable_names(b) if n not in ACK_MOVED | untold and n in va]
            if order_a != order_b:
                result.variables.append(f"{label} order: {_list_diff(order_a, order_b)}")
            if fa.content_type == "text/event-plain" and fb.content_type == "text/event-plain":
                result.encoding += _encoding_differences(label, fa, fb)
            if fa.content_type == "text/event-json" and fb.content_type == "text/event-json":
                result.encoding += _json_type_differences(label, fa, fb, untold)
    return result


def _list_diff(real: list[str], mine: list[str]) -> str:
    import difflib

    lines = difflib.ndiff(real, mine)
    return " ".join(line[:2] + line[2:] for line in lines if line[:1] in "+-")


def _raw_lines(frame: Frame) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in frame.body.split(b"\n\n", 1)[0].split(b"\n"):
        name, sep, value = line.decode().partition(": ")
        if sep:
            out.setdefault(name, value)
    return out


def _json_types(frame: Frame) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in json.loads(frame.body, object_pairs_hook=list):
        out.setdefault(name, type(value).__name__)
    return out


def _json_type_differences(label: str, a: Frame, b: Frame, untold: frozenset[str]) -> list[str]:
    """A header that is a JSON array in the real event (``ARRAY::`` variables) must be one
    here, and a string a string."""
    types_a, types_b = _json_types(a), _json_types(b)
    return [
        f"{label} {name}: JSON {kind} vs {types_b[name]}"
        for name, kind in types_a.items()
        if name in types_b and name not in untold and types_b[name] != kind
    ]


def _encoding_differences(label: str, a: Frame, b: Frame) -> list[str]:
    """Headers whose decoded values are equal must be encoded the same way."""
    out = []
    raw_a, raw_b = _raw_lines(a), _raw_lines(b)
    from urllib.parse import unquote

    for name, value in raw_a.items():
        if name in raw_b and unquote(value) == unquote(raw_b[name]) and value != raw_b[name]:
            out.append(f"{label} {name}: {value!r} vs {raw_b[name]!r}")
    return out
