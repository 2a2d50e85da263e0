"""What a scripted caller (or a scripted far end) does during a call.

A script is a list of :class:`Step`. A step waits for a trigger on its leg, then runs its
actions in order::

    from kazoo_tasks.esl.emulator import script as s

    [
        s.on_playback(1).press("1"),            # press 1 when the first prompt starts
        s.on_answer().wait(0.5).press("1234#"),  # half a second after answer, key in 1234#
        s.on_app("record").wait(4).press("#"),  # stop a voicemail recording after 4 s
        s.after(30).hangup(),                   # hang up 30 s after the call started
    ]

Triggers: :func:`on_start`, :func:`after`, :func:`on_answer`, :func:`on_playback`,
:func:`on_app`, :func:`on_event`, :func:`on_bridge`. Actions: ``wait``, ``press``,
``hangup``, ``refer``. Times are emulated seconds (scaled by the emulator's
``time_scale``). Each step fires once, on the n-th occurrence of its trigger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

from kazoo_tasks.esl.emulator.session import Session

log = logging.getLogger(__name__)

DIGITS = set("0123456789*#ABCD")


@dataclass(frozen=True)
class Action:
    """One thing a caller does: ``wait`` seconds, ``press`` digits, ``hangup``, or
    ``refer`` the party it talks to elsewhere."""

    kind: str
    value: str = ""
    seconds: float = 0.0
    source: str = "RTP"
    duration: int = 1280


@dataclass(frozen=True)
class Step:
    """A trigger and the actions it starts (build with the functions of this module)."""

    event: str
    match: str = ""
    nth: int = 1
    actions: tuple[Action, ...] = field(default_factory=tuple)

    def wait(self, seconds: float) -> Step:
        """Then wait ``seconds``."""
        return replace(self, actions=(*self.actions, Action("wait", seconds=seconds)))

    def press(
        self, digits: str, *, interval: float = 0.1, source: str = "RTP", duration: int = 1280
    ) -> Step:
        """Then press ``digits`` one by one, ``interval`` seconds apart.

        ``source`` is how the DTMF arrives (``RTP`` for RFC 2833, ``ENDPOINT`` for SIP INFO,
        ``INBAND``); ``duration`` is in samples at 8 kHz (1280 = 160 ms).
        """
        unknown = set(digits.upper()) - DIGITS
        if unknown or not digits:
            raise ValueError(f"not DTMF digits: {digits!r}")
        action = Action("press", digits.upper(), seconds=interval, source=source, duration=duration)
        return replace(self, actions=(*self.actions, action))

    def hangup(self, cause: str = "NORMAL_CLEARING") -> Step:
        """Then hang up (the caller sends BYE)."""
        return replace(self, actions=(*self.actions, Action("hangup", cause.upper())))

    def refer(self, destination: str) -> Step:
        """Then blind-transfer the party this leg is bridged to (a SIP REFER from the
        phone): as mod_sofia does, the other party is transferred to ``destination`` in
        the dialplan and this leg is hung up with ``BLIND_TRANSFER``."""
        return replace(self, actions=(*self.actions, Action("refer", destination)))


def on_start() -> Step:
    """As soon as the call exists."""
    return Step("START")


def after(seconds: float) -> Step:
    """``seconds`` after the call started."""
    return on_start().wait(seconds)


def on_answer() -> Step:
    """When the leg is answered (CHANNEL_ANSWER)."""
    return Step("CHANNEL_ANSWER")


def on_playback(nth: int = 1) -> Step:
    """When the ``nth`` playback starts on the leg (PLAYBACK_START)."""
    return Step("PLAYBACK_START", nth=nth)


def on_app(name: str, nth: int = 1) -> Step:
    """When the ``nth`` run of application ``name`` starts (CHANNEL_EXECUTE)."""
    return Step("CHANNEL_EXECUTE", match=name, nth=nth)


def on_event(name: str, nth: int = 1) -> Step:
    """On the ``nth`` event ``name`` of the leg."""
    return Step(name.upper(), nth=nth)


def on_bridge() -> Step:
    """When the leg is bridged (CHANNEL_BRIDGE)."""
    return Step("CHANNEL_BRIDGE")


def hangup_after(seconds: float, cause: str = "NORMAL_CLEARING") -> Step:
    """Hang up ``seconds`` after the call started."""
    return after(seconds).hangup(cause)


def on_first_playback_press(digits: str) -> Step:
    """Press ``digits`` when the first prompt starts playing."""
    return on_playback(1).press(digits)


def press_after(seconds: float, digits: str) -> Step:
    """Press ``digits`` ``seconds`` after the call started."""
    return after(seconds).press(digits)


def _perform(session: Session, actions: tuple[Action, ...]) -> None:
    """Schedule ``actions`` from now: every digit and hangup gets its due time at once,
    so a loop that runs late still runs them in the order their emulated times give
    (those due at the same time run in the order given)."""
    switch = session.switch
    due = switch.loop.time()
    plan: list[tuple[float, list[Callable[[], None]]]] = []

    def at(when: float, deed: Callable[[], None]) -> None:
        if plan and plan[-1][0] == when:
            plan[-1][1].append(deed)
        else:
            plan.append((when, [deed]))

    for action in actions:
        if action.kind == "wait":
            due += switch.scaled(action.seconds)
        elif action.kind == "press":
            for index, digit in enumerate(action.value):
                if index:
                    due += switch.scaled(action.seconds)
                at(due, partial(_press, session, digit, action))
        elif action.kind == "hangup":
            at(due, partial(_hang_up, session, action.value or "NORMAL_CLEARING"))
        elif action.kind == "refer":
            at(due, partial(_refer, session, action.value))
    for when, deeds in plan:
        switch.loop.call_at(when, _run_all, deeds)


def _run_all(deeds: list[Callable[[], None]]) -> None:
    for deed in deeds:
        deed()


def _press(session: Session, digit: str, action: Action) -> None:
    if session.up:
        session.receive_dtmf(digit, duration=action.duration, source=action.source)


def _hang_up(session: Session, cause: str) -> None:
    """The caller sends BYE."""
    if session.up:
        session.channel.set_var("sip_hangup_disposition", "recv_bye")
        session.hangup(cause)


def _refer(session: Session, destination: str) -> None:
    """The phone sends REFER: its partner goes to ``destination``, this leg is released."""
    partner = session.partner
    if not session.up or partner is None or not partner.up:
        return
    partner.transfer(destination)
    session.hangup("BLIND_TRANSFER")


def attach(session: Session, steps: list[Step] | tuple[Step, ...]) -> None:
    """Run ``steps`` on ``session`` (on the emulator's loop)."""
    counts: dict[int, int] = {}
    waiting = []
    for step in steps:
        if step.event == "START":
            _perform(session, step.actions)
        else:
            waiting.append(step)
    if not waiting:
        return

    def observe(_session: Session, name: str, headers: dict[str, str]) -> None:
        for step in waiting:
            if step.event != name:
                continue
            if step.match and headers.get("Application") != step.match:
                continue
            key = id(step)
            counts[key] = counts.get(key, 0) + 1
            if counts[key] == step.nth:
                _perform(session, step.actions)

    session.observers.append(observe)
