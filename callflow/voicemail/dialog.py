"""Small pieces the voicemail menus are written with (sub-generators for ``yield from``):
play a prompt, ask for digits, review a recording, name the documents a call records.

A caller who hangs up ends every menu at once: these raise :class:`CallerGone`, which the
module turns into ``Stop``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from callflow.context import NodeContext
from callflow.recording_steps import ANY_KEY
from callflow.steps import Collect, Play, Result, Step
from callflow.voicemail import prompts
from callflow.voicemail.messages import message_id

COLLECT_TIMEOUT = 5.0
"""Seconds to wait for a first digit (Kazoo's default_collect_timeout)."""
REVIEW_TRIES = 4

Dialog = Generator[Step, Result, Any]


class CallerGone(Exception):
    """The caller hung up: the menus end."""


def _checked(result: Result) -> Result:
    if result.hung_up:
        raise CallerGone()
    return result


def run(step: Step) -> Dialog:
    """Run any step; returns its result."""
    return _checked((yield step))


def play(media: str, terminators: str | None = None) -> Dialog:
    """Play ``media`` (a prompt, a media id or URL); returns the key that stopped it."""
    return _checked((yield Play(media, terminators=terminators))).digits


def play_all(medias: list[str]) -> Dialog:
    """Play prompts one after the other; any key stops them and is returned."""
    for media in medias:
        key = yield from play(media, terminators=ANY_KEY)
        if key:
            return key
    return ""


def ask(
    prompt: str | None,
    *,
    max_digits: int = 1,
    interdigit_ms: int = 2000,
    terminators: str = "#",
    secret: bool = False,
) -> Dialog:
    """Play ``prompt`` and collect digits (the first key breaks the prompt); returns the
    digits, "" when none came in time."""
    result = _checked(
        (
            yield Collect(
                max_digits=max_digits,
                timeout=COLLECT_TIMEOUT,
                interdigit_timeout=interdigit_ms / 1000,
                terminators=terminators,
                prompt=prompt,
                secret=secret,
            )
        )
    )
    return result.digits


def review(listen_to: Step, interdigit_ms: int) -> Dialog:
    """Kazoo's review of a recording: 1 save, 2 listen (``listen_to``, then the choice
    again), 3 record again. Returns ``save``, ``record`` or ``none`` (no choice after
    four tries)."""
    for _ in range(REVIEW_TRIES):
        key = yield from ask(prompts.prompt("vm-review_recording"), interdigit_ms=interdigit_ms)
        if key == "1":
            return "save"
        if key == "3":
            return "record"
        if key == "2":
            _checked((yield listen_to))
    return "none"


class Recordings:
    """Names the documents (of one ``kind``) one node records, in order: the same on
    every replay."""

    def __init__(self, ctx: NodeContext, kind: str) -> None:
        self.call_id = str(ctx.call["call_id"])
        self.where = f"{ctx.path}/{kind}"
        self.count = 0

    def next_id(self) -> str:
        self.count += 1
        return message_id(self.call_id, self.where, self.count)
