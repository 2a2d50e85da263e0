"""``originate``: ring a dial string until a leg answers, as ``switch_ivr_originate`` does.

The groups of a dial string (see :mod:`.endpoints`) are rung one after the other; the
legs of a group ring at once (:mod:`.legs`), the first to answer wins and the others end
with LOSE_RACE. A group fails when all its legs failed (its cause is that of its first
leg), when its time runs out (``originate_timeout`` of the dial string, else the caller's
``call_timeout``, else the switch's: NO_ANSWER) or when the caller hangs up
(ORIGINATOR_CANCEL) or is intercepted (PICKED_OFF, see :mod:`.intercept`). A leg with
``leg_timeout`` gives up alone with ALLOTTED_TIMEOUT; one
with ``leg_delay_start`` rings that much later (at once when no other leg of its group is
still ringing).

With a caller (the ``bridge`` application) the caller's channel shows all of it the way
FreeSWITCH 1.10.12 shows it: RING_WAIT while answered and waiting; CHANNEL_PROGRESS when a
leg rings (180 to the caller), or CHANNEL_PROGRESS_MEDIA with ``ringback`` /
``transfer_ringback`` (and at once with ``instant_ringback``) or a leg's early media
(unless ``ignore_early_media``); ``originated_legs``, ``originate_causes`` (arrays),
``originate_disposition``, ``DIALSTATUS``, ``originate_signal_bond``, and what failed legs
tell their partner (``last_bridge_hangup_cause``, ``sip_invite_failure_*``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from kazoo_tasks.esl.emulator.channel import is_false, is_true
from kazoo_tasks.esl.emulator.endpoints import Leg, parse_dial_string
from kazoo_tasks.esl.emulator.legs import ANSWERED, OutboundLeg, resolve
from kazoo_tasks.esl.emulator.session import Session
from kazoo_tasks.esl.emulator.switch import Switch

log = logging.getLogger(__name__)

SUCCESS = "SUCCESS"
PICKED_OFF = "PICKED_OFF"
"""The outcome when ``intercept`` takes the caller over while its legs ring."""

CALLER_VARIABLES = (
    "group_confirm_key",
    "group_confirm_file",
    "group_confirm_read_timeout",
    "group_confirm_cancel_timeout",
    "group_confirm_timeout",
    "forked_dial",
    "fail_on_single_reject",
    "hangup_on_single_reject",
    "ignore_early_media",
    "bridge_early_media",
    "originate_continue_on_timeout",
    "ignore_ring_ready",
    "monitor_early_media_ring",
    "monitor_early_media_ring_total",
    "monitor_early_media_fail",
    "return_ring_ready",
    "ring_ready",
    "instant_ringback",
    "progress_timeout",
    "language",
)
"""Caller variables an originate takes (and gives its legs) unless the dial string sets them."""

DIAL_STATUS = {
    "ORIGINATOR_CANCEL": "CANCEL",
    "USER_BUSY": "BUSY",
    "NO_ANSWER": "NOANSWER",
    "DESTINATION_OUT_OF_ORDER": "INVALIDARGS",
    "INVALID_PROFILE": "INVALIDARGS",
    "CALL_REJECTED": "DONTCALL",
}
"""``DIALSTATUS`` for an originate's cause (the cause itself otherwise)."""


def dial_status(cause: str) -> str:
    """``DIALSTATUS`` as FreeSWITCH words an originate's outcome."""
    return DIAL_STATUS.get(cause, cause)


@dataclass
class Outcome:
    """How an originate ended: the answered leg, or ``None`` and the failure cause."""

    leg: OutboundLeg | None
    cause: str


def _merge(*layers: Mapping[str, str]) -> dict[str, str]:
    """Variables in the order FreeSWITCH adds them to its originate event: a later layer
    replaces an earlier value and moves it last."""
    out: dict[str, str] = {}
    for layer in layers:
        for name, value in layer.items():
            out.pop(name, None)
            out[name] = value
    return out


def exported_variables(caller: Session) -> dict[str, str]:
    """What a caller's ``export_vars`` give the legs it originates (``nolocal:`` ones
    under their own names), ``export_vars`` first."""
    channel = caller.channel
    names = [n for n in channel.get_var("export_vars").split(",") if n]
    if not names:
        return {}
    out = {"export_vars": channel.get_var("export_vars")}
    for name in names:
        value = channel.get_var(name)
        if value:
            out.pop(name.removeprefix("nolocal:"), None)
            out[name.removeprefix("nolocal:")] = value
    return out


class Originate:
    """One originate of a dial string, with or without a caller (see module docstring)."""

    def __init__(self, switch: Switch, dial: str, *, caller: Session | None = None) -> None:
        self.switch = switch
        self.caller = caller
        self.globals, self.groups = parse_dial_string(dial)
        if caller is not None:
            inherited = {
                name: caller.channel.get_var(name)
                for name in CALLER_VARIABLES
                if caller.channel.get_var(name) and name not in self.globals
            }
            self.globals = _merge(self.globals, inherited)
        self.ringback = ""
        self._group_size = 0
        self._rang = False

    def _setting(self, name: str) -> str:
        return self.globals.get(name, "")

    def _timeout(self) -> float:
        """The seconds a group may ring (``originate_timeout``, else the caller's
        ``call_timeout``, else the switch's)."""
        for value in (
            self._setting("originate_timeout"),
            self.caller.channel.get_var("call_timeout") if self.caller is not None else "",
        ):
            if value.isdigit() and int(value) > 0:
                return float(value)
        return self.switch.config.originate_timeout

    async def run(self) -> Outcome:
        """Ring the groups in turn; returns the winner or why none answered."""
        caller = self.caller
        if caller is not None:
            channel = caller.channel
            if is_false(channel.get_var("preserve_originated_vars")):
                channel.set_vars([("originated_legs", None), ("originate_causes", None)])
            if channel.answered:
                self.ringback = channel.get_var("transfer_ringback")
            self.ringback = self.ringback or channel.get_var("ringback")
            channel.set_vars([("originate_disposition", "failure"), ("DIALSTATUS", "INVALIDARGS")])
            if channel.answered and caller.up:
                caller.set_callstate("RING_WAIT")
        try:
            return await self._run_groups()
        finally:
            if caller is not None and caller.up and caller.channel.answered:
                caller.set_callstate("ACTIVE")

    async def _run_groups(self) -> Outcome:
        if not self.groups:
            return Outcome(None, "DESTINATION_OUT_OF_ORDER")
        outcome = Outcome(None, "NORMAL_CLEARING")
        exported = exported_variables(self.caller) if self.caller is not None else {}
        for index, group in enumerate(self.groups):
            outcome, legs = await self._ring(group, exported)
            if outcome.leg is not None or outcome.cause == "ORIGINATOR_CANCEL":
                break
            if index + 1 < len(self.groups):  # a failed group is gone before the next rings
                await asyncio.gather(*(leg.session.done for leg in legs))
        return outcome

    # -- one group ------------------------------------------------------------------------
    async def _ring(
        self, group: list[Leg], exported: dict[str, str]
    ) -> tuple[Outcome, list[OutboundLeg]]:
        switch, caller = self.switch, self.caller
        legs: list[OutboundLeg] = []
        delays: dict[OutboundLeg, float] = {}
        cause = "DESTINATION_OUT_OF_ORDER"
        self._group_size, self._rang = len(group), False
        if caller is not None and self.ringback and is_true(self._setting("instant_ringback")):
            caller.pre_answer()
        for spec in group:
            variables = _merge(exported, self.globals, spec.variables)
            target = resolve(switch, spec.endpoint)
            if isinstance(target, str):
                cause = target
                continue
            leg = OutboundLeg(switch, target, variables, caller, on_progress=self._progress)
            if caller is not None:
                self._created(caller, leg)
            delay = _seconds(variables.get("leg_delay_start", ""))
            delays[leg] = delay
            leg.start(delay)
            legs.append(leg)
        if not legs:
            outcome = Outcome(None, cause)
        else:
            outcome = await self._race(legs, delays)
        if caller is not None:
            self._record(caller, legs, outcome)
        return outcome, legs

    def _created(self, caller: Session, leg: OutboundLeg) -> None:
        """What the caller records as the leg's channel is created."""
        channel = caller.channel
        profile = leg.session.channel.profile
        assert profile is not None
        for name in ("dialed_user", "dialed_domain"):
            if name in leg.target.variables:
                channel.set_var(name, leg.target.variables[name])
        channel.set_var("originate_signal_bond", leg.uuid)
        caller.bond = leg.session
        channel.push_var(
            "originated_legs", f"{leg.uuid};{profile.callee_id_name};{profile.callee_id_number}"
        )
        for hook in list(caller.leg_hooks):
            hook(leg.session)

    def _progress(self, leg: OutboundLeg) -> None:
        """A leg rings (180) or sends early media (183): the caller hears of it."""
        caller = self.caller
        if caller is None or not caller.up:
            return
        channel = caller.channel
        leg_profile = leg.session.channel.profile
        profile = channel.profile
        if profile is not None and leg_profile is not None and self._group_size == 1:
            profile.callee_id_name = leg_profile.callee_id_name
            profile.callee_id_number = leg_profile.callee_id_number
        if not (channel.answered or channel.early_media):
            early = leg.early_media and not is_true(self._setting("ignore_early_media"))
            if self.ringback or early:
                caller.pre_answer()
            elif not self._rang and not is_true(self._setting("ignore_ring_ready")):
                caller.ring_ready()
        self._rang = True
        if profile is not None and not profile.times.progress:
            profile.times.progress = self.switch.now_us()

    async def _race(self, legs: list[OutboundLeg], delays: dict[OutboundLeg, float]) -> Outcome:
        switch, caller = self.switch, self.caller
        loop = switch.loop
        pending = {leg.outcome: leg for leg in legs}
        timeout: asyncio.Future[str] = loop.create_future()
        timers = [loop.call_later(switch.scaled(self._timeout()), _settle, timeout, "timeout")]
        for leg in legs:
            limit = _seconds(leg.variables.get("leg_timeout", ""))
            if limit:
                timers.append(
                    loop.call_later(
                        switch.scaled(limit + delays[leg]), leg.cancel, "ALLOTTED_TIMEOUT"
                    )
                )
        try:
            while pending:
                waiters: set[asyncio.Future[str]] = {*pending, timeout}
                if caller is not None:
                    waiters |= {caller.ended, caller.intercepted}
                done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                if caller is not None and caller.intercepted.done():
                    for leg in pending.values():
                        leg.cancel(PICKED_OFF)
                    return Outcome(None, PICKED_OFF)
                if caller is not None and caller.ended.done():
                    for leg in pending.values():
                        leg.cancel("ORIGINATOR_CANCEL")
                    return Outcome(None, "ORIGINATOR_CANCEL")
                for future in done:
                    pending.pop(future, None)
                winner = next((leg for leg in legs if _answered(leg)), None)
                if winner is not None:
                    losers = [leg for leg in legs if leg is not winner and leg.session.up]
                    for leg in losers:
                        leg.lose()
                    await asyncio.gather(*(leg.session.done for leg in losers))
                    return Outcome(winner, SUCCESS)
                if timeout.done():
                    for leg in pending.values():
                        leg.cancel("NO_ANSWER")
                    return Outcome(None, "NO_ANSWER")
                if pending and all(leg.waiting_to_ring for leg in pending.values()):
                    for leg in pending.values():
                        leg.ring_now()
        finally:
            for timer in timers:
                timer.cancel()
        return Outcome(None, legs[0].outcome.result())

    def _record(self, caller: Session, legs: list[OutboundLeg], outcome: Outcome) -> None:
        """The caller's variables once the group is over."""
        channel = caller.channel
        channel.set_vars(
            [("originate_disposition", outcome.cause), ("DIALSTATUS", dial_status(outcome.cause))]
        )
        for leg in legs:
            cause = leg.session.channel.hangup_cause or "NONE"
            channel.push_var("originate_causes", f"{leg.uuid};{cause}")
        if outcome.leg is not None:
            channel.set_var("originate_signal_bond", None)
            winner = outcome.leg.session.channel.profile
            profile = channel.profile
            if winner is not None and profile is not None:
                channel.other = ("originatee", winner.copy())
                profile.callee_id_name = winner.callee_id_name
                profile.callee_id_number = winner.callee_id_number


def _answered(leg: OutboundLeg) -> bool:
    return leg.outcome.done() and leg.outcome.result() == ANSWERED


def _seconds(value: str) -> float:
    return float(value) if value.isdigit() and int(value) > 0 else 0.0


def _settle(future: asyncio.Future[str], value: str) -> None:
    if not future.done():
        future.set_result(value)


async def originate(switch: Switch, dial: str, *, caller: Session | None = None) -> Outcome:
    """Ring ``dial`` (see :class:`Originate`)."""
    return await Originate(switch, dial, caller=caller).run()
