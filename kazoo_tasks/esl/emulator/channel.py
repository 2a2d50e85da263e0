"""A channel's data as FreeSWITCH reports it: states, caller profiles and variables.

This module holds no behaviour (see :mod:`.session`); it renders the channel block every
channel event carries, the way ``switch_channel_event_set_basic_data`` and
``switch_caller_profile_event_set_data`` do: ``Channel-State`` ... ``Answer-State``,
``Hangup-Cause`` once hung up, the codec headers once codecs are set, the ``Caller-*``
profile, the other leg's profile as ``Other-Leg-*`` once there is one, then ``variable_*`` in
the order they were last set (setting a variable moves it to the end, as in FreeSWITCH).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import NamedTuple

from kazoo_tasks.esl.emulator.events import ChannelData, Pairs, encode_pairs
from kazoo_tasks.esl.frames import url_encode

STATE_NUMBERS = {
    "CS_NEW": 0,
    "CS_INIT": 1,
    "CS_ROUTING": 2,
    "CS_SOFT_EXECUTE": 3,
    "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5,
    "CS_PARK": 6,
    "CS_CONSUME_MEDIA": 7,
    "CS_HIBERNATE": 8,
    "CS_RESET": 9,
    "CS_HANGUP": 10,
    "CS_REPORTING": 11,
    "CS_DESTROY": 12,
    "CS_NONE": 13,
}

CALL_STATE_NUMBERS = {
    "DOWN": 0,
    "DIALING": 1,
    "RINGING": 2,
    "EARLY": 3,
    "ACTIVE": 4,
    "HELD": 5,
    "RING_WAIT": 6,
    "HANGUP": 7,
    "UNHELD": 8,
}


class Codec(NamedTuple):
    """A codec as channel events show it."""

    name: str
    rate: str
    bit_rate: str

    def pairs(self, direction: str) -> Pairs:
        """``Channel-Read-Codec-*`` / ``Channel-Write-Codec-*`` headers."""
        return [
            (f"Channel-{direction}-Codec-Name", self.name),
            (f"Channel-{direction}-Codec-Rate", self.rate),
            (f"Channel-{direction}-Codec-Bit-Rate", self.bit_rate),
        ]


PCMU = Codec("PCMU", "8000", "64000")
L16 = Codec("L16", "8000", "128000")
"""Linear PCM, what the core reads while it records to a file."""


def is_true(value: str) -> bool:
    """FreeSWITCH's ``switch_true``."""
    text = value.strip().lower()
    if text in ("yes", "on", "true", "t", "enabled", "active", "allow"):
        return True
    return text.lstrip("-").isdigit() and int(text) != 0


def is_false(value: str) -> bool:
    """FreeSWITCH's ``switch_false`` (an unset value is neither true nor false)."""
    text = value.strip().lower()
    if text in ("no", "off", "false", "f", "disabled", "inactive", "disallow"):
        return True
    return text.lstrip("-").isdigit() and int(text) == 0


@dataclass
class ProfileTimes:
    """The caller profile's time table, in microseconds since the epoch (0 = not yet)."""

    profile_created: int = 0
    created: int = 0
    answered: int = 0
    progress: int = 0
    progress_media: int = 0
    hungup: int = 0
    transferred: int = 0
    resurrected: int = 0
    bridged: int = 0
    last_hold: int = 0
    hold_accum: int = 0


_TIME_HEADERS = (
    ("Profile-Created-Time", "profile_created"),
    ("Channel-Created-Time", "created"),
    ("Channel-Answered-Time", "answered"),
    ("Channel-Progress-Time", "progress"),
    ("Channel-Progress-Media-Time", "progress_media"),
    ("Channel-Hangup-Time", "hungup"),
    ("Channel-Transfer-Time", "transferred"),
    ("Channel-Resurrect-Time", "resurrected"),
    ("Channel-Bridged-Time", "bridged"),
    ("Channel-Last-Hold", "last_hold"),
    ("Channel-Hold-Accum", "hold_accum"),
)

_PROFILE_HEADERS = (
    ("Username", "username"),
    ("Dialplan", "dialplan"),
    ("Caller-ID-Name", "caller_id_name"),
    ("Caller-ID-Number", "caller_id_number"),
    ("Orig-Caller-ID-Name", "orig_caller_id_name"),
    ("Orig-Caller-ID-Number", "orig_caller_id_number"),
    ("Callee-ID-Name", "callee_id_name"),
    ("Callee-ID-Number", "callee_id_number"),
    ("Network-Addr", "network_addr"),
    ("ANI", "ani"),
    ("Destination-Number", "destination_number"),
    ("Unique-ID", "uuid"),
    ("Source", "source"),
    ("Transfer-Source", "transfer_source"),
    ("Context", "context"),
    ("Channel-Name", "chan_name"),
    ("Profile-Index", "profile_index"),
)


@dataclass
class CallerProfile:
    """FreeSWITCH's caller profile; empty fields are left out of events, as FreeSWITCH does."""

    direction: str
    logical_direction: str
    username: str = ""
    dialplan: str = ""
    caller_id_name: str = ""
    caller_id_number: str = ""
    orig_caller_id_name: str = ""
    orig_caller_id_number: str = ""
    callee_id_name: str = ""
    callee_id_number: str = ""
    network_addr: str = ""
    ani: str = ""
    destination_number: str = ""
    uuid: str = ""
    source: str = ""
    transfer_source: str = ""
    context: str = ""
    chan_name: str = ""
    profile_index: str = ""
    times: ProfileTimes = field(default_factory=ProfileTimes)

    def pairs(self, prefix: str, *, with_index: bool = True) -> Pairs:
        """The profile's headers with ``prefix`` (``Caller``, or ``Other-Leg`` without the
        profile index: FreeSWITCH's copy of the other leg's profile has none)."""
        out: Pairs = [
            (f"{prefix}-Direction", self.direction),
            (f"{prefix}-Logical-Direction", self.logical_direction),
        ]
        for suffix, attribute in _PROFILE_HEADERS:
            value = getattr(self, attribute)
            if value and (with_index or attribute != "profile_index"):
                out.append((f"{prefix}-{suffix}", value))
        times = self.times
        for suffix, attribute in _TIME_HEADERS:
            out.append((f"{prefix}-{suffix}", str(getattr(times, attribute))))
        out += [
            (f"{prefix}-Screen-Bit", "true"),
            (f"{prefix}-Privacy-Hide-Name", "false"),
            (f"{prefix}-Privacy-Hide-Number", "false"),
        ]
        return out

    def copy(self) -> CallerProfile:
        """An independent copy (times included)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "times"}
        return CallerProfile(**values, times=ProfileTimes(**vars(self.times)))


class Channel:
    """The data of one channel; :class:`~.session.Session` drives it."""

    def __init__(
        self,
        uuid: str,
        name: str,
        direction: str,
        profile: CallerProfile | None,
        *,
        hit_dialplan: bool,
    ) -> None:
        self.uuid = uuid
        self.name = name
        self.direction = direction
        self.profile = profile
        """``None`` until the profile shows in events (inbound SIP legs: from CS_INIT)."""
        self.hit_dialplan = hit_dialplan
        self.running_state = "CS_NEW"
        self.state = "CS_NEW"
        self.callstate = "DOWN"
        self.answered = False
        self.early_media = False
        self.hungup = False
        self.hangup_cause = ""
        self.read_codec: Codec | None = None
        self.write_codec: Codec | None = None
        self.other: tuple[str, CallerProfile] | None = None
        self.variables: dict[str, str] = {}
        self._variable_lines: dict[str, str] = {}
        self._variables_text: str | None = ""
        self._variables_pairs: Pairs | None = []

    # -- variables ----------------------------------------------------------------------
    def set_var(self, name: str, value: str | None) -> None:
        """Set (moving it last) or, with ``None`` or ``""``, delete a channel variable."""
        self.variables.pop(name, None)
        self._variable_lines.pop(name, None)
        if value:
            self.variables[name] = value
            self._variable_lines[name] = f"variable_{name}: {url_encode(value)}\n"
        self._variables_text = None
        self._variables_pairs = None

    def push_var(self, name: str, value: str) -> None:
        """Add ``value`` to a variable, making it an array (``ARRAY::a|:b``) in place, as
        FreeSWITCH's ``SWITCH_STACK_PUSH`` does; set it when unset."""
        current = self.variables.get(name)
        if not current:
            self.set_var(name, value)
            return
        items = (
            current[len("ARRAY::") :].split("|:") if current.startswith("ARRAY::") else [current]
        )
        joined = "ARRAY::" + "|:".join([*items, value])
        self.variables[name] = joined
        self._variable_lines[name] = f"variable_{name}: {url_encode(joined)}\n"
        self._variables_text = None
        self._variables_pairs = None

    def set_vars(self, pairs: Pairs) -> None:
        """Set several variables in order."""
        for name, value in pairs:
            self.set_var(name, value)

    def get_var(self, name: str, default: str = "") -> str:
        """A variable's value (``default`` when unset)."""
        return self.variables.get(name, default)

    def is_true(self, name: str) -> bool:
        """Whether a variable is true as ``switch_true`` reads it (yes, on, true, t,
        enabled, active, allow, or a non-zero number)."""
        return is_true(self.variables.get(name, ""))

    def _variables(self) -> tuple[Pairs, str]:
        if self._variables_pairs is None:
            self._variables_pairs = [(f"variable_{k}", v) for k, v in self.variables.items()]
        if self._variables_text is None:
            self._variables_text = "".join(self._variable_lines.values())
        return self._variables_pairs, self._variables_text

    # -- event data ---------------------------------------------------------------------
    @property
    def answer_state(self) -> str:
        if self.hungup:
            return "hangup"
        if self.answered:
            return "answered"
        if self.early_media:
            return "early"
        return "ringing"

    def basic_pairs(self) -> Pairs:
        """The channel block of an event, up to and including ``Other-Leg-*``."""
        out: Pairs = [
            ("Channel-State", self.running_state),
            ("Channel-Call-State", self.callstate),
            ("Channel-State-Number", str(STATE_NUMBERS[self.state])),
            ("Channel-Name", self.name),
            ("Unique-ID", self.uuid),
            ("Call-Direction", self.direction),
            ("Presence-Call-Direction", self.direction),
            ("Channel-HIT-Dialplan", "true" if self.hit_dialplan else "false"),
        ]
        if "presence_id" in self.variables:
            out.append(("Channel-Presence-ID", self.variables["presence_id"]))
        if "presence_data" in self.variables:
            out.append(("Channel-Presence-Data", self.variables["presence_data"]))
        out.append(("Channel-Call-UUID", self.variables.get("call_uuid", self.uuid)))
        out.append(("Answer-State", self.answer_state))
        if self.hangup_cause:
            out.append(("Hangup-Cause", self.hangup_cause))
        if self.read_codec is not None:
            out += self.read_codec.pairs("Read")
        if self.write_codec is not None:
            out += self.write_codec.pairs("Write")
        if self.profile is not None:
            out += self.profile.pairs("Caller")
            if self.other is not None:
                kind, other = self.other
                out.append(("Other-Type", kind))
                out += other.pairs("Other-Leg", with_index=False)
        return out

    def data(self, *, with_variables: bool) -> ChannelData:
        """A snapshot of the channel block (and variables) for an event fired now."""
        basic = self.basic_pairs()
        if not with_variables:
            return ChannelData(basic, encode_pairs(basic))
        variables, text = self._variables()
        return ChannelData(basic, encode_pairs(basic), variables, text)
