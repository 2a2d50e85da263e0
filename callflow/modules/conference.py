"""``conference``: put the caller in a conference room (Kazoo's cf_conference).

The room is a ``conferences`` document of the account (``id``), or the inline ``config``
(an ad-hoc room, one per callflow node). The caller is answered and welcomed
(``welcome_prompt``: its media, Kazoo's ``conf-welcome`` by default, nothing with
``play: false``). The role is ``moderator`` when the node says so (true or false); else,
when the room has PINs, the caller enters one (3 tries, ``#`` ends it): a
``moderator.pins`` PIN joins as moderator, a ``member.pins`` PIN as member; with no
member PINs any other entry joins as member. A wrong PIN three times ends the call.

The switch does the rest (FreeSWITCH's ``conference`` application, the room named
``<account id>_<conference id>``): the member joins muted (``join_muted``: members
by default, as Kazoo's schema says) or deaf (``join_deaf``), with the entry and exit
tones of the node or the room (``play_entry_tone`` / ``play_exit_tone``: true for the
default tone, false for none, or a media id / URL), and ``max_participants`` caps the
room (set when the room opens). A caller the switch refuses (the room is full or
locked) hears ``max_members_media``; either way the call ends when the caller leaves
the room (kicked), since the conference had control of it, as in Kazoo. A missing
conference document goes on to ``_``. Live control (list, mute, kick, play) is the
conferences API's (docs/api.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.feature_codes import prompts
from callflow.module import ModuleData
from callflow.outcomes import Continue, HardStop
from callflow.prompts import prompt
from callflow.steps import (
    Answer,
    Collect,
    CommandStep,
    Execute,
    Play,
    ReadDocument,
    Result,
    Step,
    StepModule,
    Steps,
)
from kazoo_tasks.events import CallEvent
from schemas.base import SubSchema, any_value
from schemas.conferences import ConferenceSchema

PROFILE = "default"
ENTRY_TONE = "tone_stream://v=-7;>=2;+=.1;%(300,0,523,659);v=-7;>=3;+=.1;%(800,0,659,783)"
EXIT_TONE = "tone_stream://v=-7;>=2;+=.1;%(300,0,523,440);v=-7;>=3;+=.1;%(800,0,349,440)"
"""Kazoo's default entry and exit tones (kapps_conference.hrl), for ``true``."""
NO_TONE = "silence_stream://1"
"""What the switch plays instead of its profile's tone when a room says ``false``."""
PIN_TRIES = 3
MAX_PIN_DIGITS = 16
PIN_TIMEOUT = 5
"""Seconds to wait for a PIN's first digit (Kazoo's default ``pin_timeout``)."""


class WelcomePrompt(SubSchema):
    media_id = fields.String(validate=validate.Length(min=1, max=2048))
    play = fields.Boolean(load_default=True)


class ConferenceData(ModuleData):
    """Kazoo's callflows.conference data."""

    id = fields.String(validate=validate.Length(equal=32), metadata={"description": "room"})
    config = fields.Nested(ConferenceSchema, metadata={"description": "an ad-hoc room"})
    moderator = fields.Boolean(metadata={"description": "join as moderator (true) or member"})
    play_entry_tone = any_value("Entry tone: true, false, or a media id / URL")
    play_exit_tone = any_value("Exit tone: true, false, or a media id / URL")
    welcome_prompt = fields.Nested(WelcomePrompt)


@dataclass(frozen=True)
class Join(CommandStep):
    """Run FreeSWITCH's ``conference`` application; ``details["member_id"]`` is the
    member id the switch gave (absent when the switch refused the caller)."""

    room: str
    flags: tuple[str, ...] = ()

    def send(self, ctx: NodeContext, run: dict[str, Any]) -> None:
        flags = f"+flags{{{'|'.join(self.flags)}}}" if self.flags else ""
        ctx.execute("conference", f"{self.room}@{PROFILE}{flags}")

    def completed(self, event: CallEvent, run: dict[str, Any]) -> Result:
        member = event.get("headers", {}).get("variable_conference_member_id", "")
        return Result(details={"member_id": member} if member else {})


def room_name(account_id: str, conference_id: str) -> str:
    """The room's name on the switch: unique across accounts."""
    return f"{account_id}_{conference_id}"


class Conference(StepModule):
    """Finds the room, welcomes, checks the PIN, joins (see the module documentation)."""

    data_schema = ConferenceData

    def steps(self, ctx: NodeContext) -> Steps:
        account = str(ctx.call["account_id"])
        if ctx.data.get("id"):
            found = yield ReadDocument(ctx.data["id"])
            if found.failed:
                ctx.note(f"no conference {ctx.data['id']}")
                return Continue()
            room: dict[str, Any] = found.details["doc"]
            name = room_name(account, ctx.data["id"])
        else:
            room = ctx.data.get("config") or {}
            name = room_name(account, hashlib.sha1(ctx.path.encode()).hexdigest()[:32])
        yield Answer()
        welcome = ctx.data.get("welcome_prompt") or {}
        if welcome.get("play", True):
            media = welcome.get("media_id") or prompt("conf-welcome")
            if media:
                yield Play(media)
        role = yield from _role(ctx, room)
        if role is None:
            yield from prompts("conf-too_many_attempts")
            return HardStop()
        yield from _settings(ctx, room)
        joined = yield Join(name, _flags(room, role))
        if joined.details:
            ctx.note(f"left {name} (member {joined.details['member_id']}, {role})")
        else:
            ctx.note(f"{name} is full or locked")
            media = room.get("max_members_media") or prompt("conf-max_participants")
            if media:
                yield Play(media)
        return HardStop()


def _role(ctx: NodeContext, room: dict[str, Any]) -> Generator[Step, Result, str | None]:
    """``moderator`` or ``member`` (None: no valid PIN in three tries), as Kazoo's
    conference discovery decides it."""
    member_pins = list((room.get("member") or {}).get("pins") or [])
    moderator_pins = list((room.get("moderator") or {}).get("pins") or [])
    fixed = ctx.data.get("moderator")
    if fixed is not None:
        role = "moderator" if fixed else "member"
        if not (moderator_pins if fixed else member_pins):
            return role
    elif not member_pins and not moderator_pins:
        return "member"
    for _ in range(PIN_TRIES):
        entered = yield Collect(
            max_digits=MAX_PIN_DIGITS,
            timeout=PIN_TIMEOUT,
            interdigit_timeout=3,
            prompt=prompt("conf-enter_conf_pin"),
            secret=True,
        )
        if entered.hung_up:
            return None
        pin = entered.digits
        if fixed is not None:
            if pin in (moderator_pins if fixed else member_pins):
                return role
        elif pin in member_pins or (not member_pins and not pin):
            return "member"
        elif pin in moderator_pins:
            return "moderator"
        yield from prompts("conf-bad_pin")
    return None


def _settings(ctx: NodeContext, room: dict[str, Any]) -> Generator[Step, Result, None]:
    """Set the channel variables the switch reads as the caller joins: tones, room size."""
    for key, variable, default in (
        ("play_entry_tone", "conference_enter_sound", ENTRY_TONE),
        ("play_exit_tone", "conference_exit_sound", EXIT_TONE),
    ):
        setting = ctx.data.get(key, room.get(key))
        if setting is not None:
            yield Execute("set", f"{variable}={_tone(ctx, setting, default)}")
    if room.get("max_participants"):
        yield Execute("set", f"conference_max_members={int(room['max_participants'])}")


def _tone(ctx: NodeContext, setting: Any, default: str) -> str:
    if setting is True or str(setting).lower() == "true":
        return default
    if setting is False or str(setting).lower() == "false" or not str(setting).strip():
        return NO_TONE
    return ctx.media(str(setting))


def _flags(room: dict[str, Any], role: str) -> tuple[str, ...]:
    """The member flags of ``role``: Kazoo's defaults are members muted, moderators not."""
    settings = room.get(role) or {}
    flags = ["moderator"] if role == "moderator" else []
    if settings.get("join_muted", role == "member"):
        flags.append("mute")
    if settings.get("join_deaf"):
        flags.append("deaf")
    return tuple(flags)
