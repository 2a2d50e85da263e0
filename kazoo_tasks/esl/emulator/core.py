"""The emulated FreeSWITCH's core services: configuration, clock and the event bus.

:class:`Core` lives on one asyncio loop and is touched only from it. It numbers every
event it fires (``Event-Sequence`` strictly increases across the whole switch), stamps it,
and hands it to the ESL listeners subscribed to it; an event nobody listens to is counted
but never serialized. It knows nothing of sessions: a :class:`~.session.Session` uses it,
and :class:`~.switch.Switch` (which keeps the sessions) extends it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypedDict, Unpack

from kazoo_tasks.esl.emulator import sofia
from kazoo_tasks.esl.emulator.channel import Channel
from kazoo_tasks.esl.emulator.events import (
    CALLING_SITES,
    Event,
    EventDates,
    Pairs,
    SwitchIdentity,
    encode_pairs,
)
from kazoo_tasks.esl.emulator.media import MediaCatalog

log = logging.getLogger(__name__)

Extension = list[tuple[str, str]]
Dialplan = Callable[[str], Extension]
"""Maps a dialed number to the applications FreeSWITCH's dialplan runs for it."""


def park_dialplan(destination: str) -> Extension:
    """The default dialplan, as a Kazoo FreeSWITCH has it: park every call."""
    return [("park", "")]


NO_VARIABLE_EVENTS = frozenset(
    {
        "CHANNEL_STATE",
        "CHANNEL_CALLSTATE",
        "CODEC",
        "CHANNEL_OUTGOING",
        "DTMF",
        "COMMAND",
        "PRIVATE_COMMAND",
        "conference::maintenance",
    }
)
"""Channel events (names or ``CUSTOM`` subclasses) FreeSWITCH sends without
``variable_*`` headers."""


class EventParts(TypedDict, total=False):
    """What an event is built from besides its name and number (see ``Switch.build_event``)."""

    channel: Channel | None
    pre: Pairs | None
    post: Pairs | None
    site: str | None
    body: str | None
    subclass: str | None
    lead: Pairs | None


class Listener(Protocol):
    """What the switch needs from an ESL connection to hand it events."""

    def wants(self, name: str, subclass: str | None) -> bool: ...

    def deliver(self, event: Event) -> None: ...


@dataclass
class SwitchConfig:
    """Everything that makes one emulated switch differ from another."""

    password: str = "ClueCon"
    hostname: str = field(default_factory=socket.gethostname)
    core_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    ipv4: str = "192.0.2.2"
    ipv6: str = "fd00::2"
    time_scale: float = 1.0
    context: str = "default"
    dialplan: Dialplan = park_dialplan
    media: MediaCatalog = field(default_factory=MediaCatalog)
    sofia: sofia.SofiaProfile = field(default_factory=sofia.SofiaProfile)
    originate_timeout: float = 60.0
    max_queued_events: int = 100_000
    max_lost_events: int = 500
    heartbeat_interval: float = 20.0
    """Seconds between HEARTBEAT events (real time, not scaled); 0 turns them off."""


@dataclass
class SwitchStats:
    """Counters for the benchmark and for tests."""

    events_fired: int = 0
    events_serialized: int = 0
    calls_created: int = 0


class Core:
    """The switch's core services (see module docstring)."""

    def __init__(self, config: SwitchConfig, loop: asyncio.AbstractEventLoop) -> None:
        self.config = config
        self.loop = loop
        self.identity = SwitchIdentity(config.core_uuid, config.hostname, config.ipv4, config.ipv6)
        self._identity_text = encode_pairs(self.identity.core_pairs())
        self._identity_pairs = self.identity.core_pairs()
        self._dates = EventDates()
        self.listeners: set[Listener] = set()
        self.globals: dict[str, str] = {"hostname": config.hostname}
        self.sequence = 0
        self.stats = SwitchStats()
        self.started_at = time.time()
        self._session_ids = 0
        self._rtp_port = 16384

    # -- clock --------------------------------------------------------------------------
    @staticmethod
    def now_us() -> int:
        """Wall-clock time in microseconds (``Event-Date-Timestamp``)."""
        return time.time_ns() // 1000

    def scaled(self, seconds: float) -> float:
        """Real seconds for ``seconds`` of emulated time."""
        return max(0.0, seconds * self.config.time_scale)

    @staticmethod
    def new_uuid() -> str:
        return str(uuid.uuid4())

    def next_session_id(self) -> int:
        self._session_ids += 1
        return self._session_ids

    def next_rtp_port(self) -> int:
        self._rtp_port = 16384 if self._rtp_port >= 32766 else self._rtp_port + 2
        return self._rtp_port

    # -- events -------------------------------------------------------------------------
    def fire(self, name: str, **parts: Unpack[EventParts]) -> Event | None:
        """Number an event (built from ``parts`` as :meth:`build_event` does) and deliver
        it to the listeners that want it.

        Returns the event, or ``None`` when no listener wanted it (it is then never built).
        """
        self.sequence += 1
        self.stats.events_fired += 1
        subclass = parts.get("subclass")
        targets = [listener for listener in self.listeners if listener.wants(name, subclass)]
        if not targets:
            return None
        event = self.build_event(name, sequence=self.sequence, **parts)
        self.stats.events_serialized += 1
        for listener in targets:
            listener.deliver(event)
        return event

    def build_event(
        self,
        name: str,
        *,
        channel: Channel | None = None,
        pre: Pairs | None = None,
        post: Pairs | None = None,
        site: str | None = None,
        body: str | None = None,
        subclass: str | None = None,
        lead: Pairs | None = None,
        sequence: int,
    ) -> Event:
        """Build an event (core headers, channel data) without numbering or sending it."""
        timestamp = self.now_us()
        local, gmt = self._dates.at(timestamp)
        calling_file, function, line = CALLING_SITES.get(
            site or subclass or name, ("switch_event.c", "switch_event_fire_detailed", 0)
        )
        event_name = "CUSTOM" if subclass else name
        tail: Pairs = [
            ("Event-Date-Local", local),
            ("Event-Date-GMT", gmt),
            ("Event-Date-Timestamp", str(timestamp)),
            ("Event-Calling-File", calling_file),
            ("Event-Calling-Function", function),
            ("Event-Calling-Line-Number", str(line)),
            ("Event-Sequence", str(sequence)),
        ]
        core = [("Event-Name", event_name), *self._identity_pairs, *tail]
        core_text = f"Event-Name: {event_name}\n" + self._identity_text + encode_pairs(tail)
        lead_pairs = list(lead or [])
        if subclass:
            lead_pairs.insert(0, ("Event-Subclass", subclass))
        data = None
        if channel is not None:
            with_variables = name not in NO_VARIABLE_EVENTS and subclass not in NO_VARIABLE_EVENTS
            data = channel.data(with_variables=with_variables)
        return Event(
            name,
            subclass=subclass,
            sequence=sequence,
            timestamp=timestamp,
            core=core,
            core_text=core_text,
            lead=lead_pairs,
            pre=pre or [],
            channel=data,
            post=post or [],
            body=body,
            unique_id=channel.uuid if channel is not None else "",
        )

    def uptime_text(self) -> str:
        """``0 years, 0 days, 0 hours, 1 minute, 39 seconds, ...`` as FreeSWITCH words it."""
        us = int((time.time() - self.started_at) * 1_000_000)
        days, rest = divmod(us, 86_400_000_000)
        years, days = divmod(days, 365)
        hours, rest = divmod(rest, 3_600_000_000)
        minutes, rest = divmod(rest, 60_000_000)
        seconds, rest = divmod(rest, 1_000_000)
        ms, micro = divmod(rest, 1000)

        def unit(value: int, name: str) -> str:
            return f"{value} {name}{'' if value == 1 else 's'}"

        return ", ".join(
            [
                unit(years, "year"),
                unit(days, "day"),
                unit(hours, "hour"),
                unit(minutes, "minute"),
                unit(seconds, "second"),
                unit(ms, "millisecond"),
                unit(micro, "microsecond"),
            ]
        )

    def heartbeat(self) -> None:
        """Fire HEARTBEAT and RE_SCHEDULE, as FreeSWITCH's core does every 20 s."""
        live = len(self.sessions)
        self.fire(
            "HEARTBEAT",
            post=[
                ("Event-Info", "System Ready"),
                ("Up-Time", self.uptime_text()),
                ("FreeSWITCH-Version", "1.10.12-release~64bit"),
                ("Uptime-msec", str(int((time.time() - self.started_at) * 1000))),
                ("Session-Count", str(live)),
                ("Max-Sessions", "10000"),
                ("Session-Per-Sec", "1000"),
                ("Session-Per-Sec-Last", "0"),
                ("Session-Per-Sec-Max", "0"),
                ("Session-Per-Sec-FiveMin", "0"),
                ("Session-Since-Startup", str(self.stats.calls_created)),
                ("Session-Peak-Max", str(live)),
                ("Session-Peak-FiveMin", str(live)),
                ("Idle-CPU", "100.000000"),
            ],
        )
        self.fire(
            "RE_SCHEDULE",
            post=[
                ("Task-ID", "1"),
                ("Task-Desc", "heartbeat"),
                ("Task-Group", "core"),
                ("Task-Runtime", str(int(time.time() + self.config.heartbeat_interval))),
            ],
        )

    async def run_heartbeats(self) -> None:
        """Fire heartbeats until cancelled (when the emulator stops)."""
        interval = self.config.heartbeat_interval
        while interval > 0:
            await asyncio.sleep(interval)
            self.heartbeat()

    # -- dialplan -----------------------------------------------------------------------
    def route(self, channel: Channel, destination: str, context: str = "") -> Extension:
        """Run the dialplan lookup for ``destination`` on ``channel`` (sets DP_MATCH)."""
        if channel.profile is not None:
            channel.profile.destination_number = destination
            if context:
                channel.profile.context = context
        channel.set_var("DP_MATCH", f"ARRAY::{destination}|:{destination}")
        return list(self.config.dialplan(destination))
