"""What happens to the caller when a bridge that connected ends with the caller still
on the line (Kazoo's ``after_bridge`` module: ``Park-After-Pickup``,
``Transfer-After-Pickup``, ``Hangup-After-Pickup``, which ecallmgr sets as FreeSWITCH's
``park_after_bridge``, ``transfer_after_bridge`` and ``hangup_after_bridge``).

Our bridges always come back to the engine (:func:`callflow.legs.send_bridge` sets
``hangup_after_bridge=false``), so the engine does what those variables would make the
switch do: the choice is kept in the call's key/value store (:data:`KVS_KEY`) by the
``after_bridge`` node and applied by :class:`callflow.legs.RingModule` once its bridge
ends: ``park`` holds the caller until they hang up (nothing is sent: a channel of ours
waits in the switch's ``park`` between commands, and running ``park`` again would be a
new ``CHANNEL_PARK``, which routes the call anew); ``transfer`` sends the call
to a number of the dialplan (routed anew, as the ``transfer`` module does); ``hangup``
ends the call even if a flow that branched here would resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callflow.context import NodeContext
from callflow.endpoints import DEFAULT_CONTEXT
from callflow.modules.transfer import TARGET
from callflow.outcomes import HardStop, Stop, Wait
from callflow.steps import CommandStep, Result, Steps
from kazoo_tasks.events import CallEvent

KVS_KEY = "after_bridge"
PARK, TRANSFER, HANGUP = "park", "transfer", "hangup"
TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
"""Strings Kazoo's ``kz_term:is_true`` takes for true."""


@dataclass(frozen=True)
class AfterBridge:
    """The action chosen, and for ``transfer`` the number to go to."""

    action: str
    target: str = ""

    def describe(self) -> str:
        return f"{self.action} {self.target}".strip()


def is_true(value: Any) -> bool:
    """Kazoo's ``kz_term:is_true``: ``true`` or a string of :data:`TRUE_WORDS`."""
    return value is True or (isinstance(value, str) and value.lower() in TRUE_WORDS)


def choose(action: str | None, data: Any) -> AfterBridge | None:
    """The choice a node's ``action`` and ``data`` make (Kazoo's ``build_action``): park
    or hangup when ``data`` is true, transfer when it is a number; None sets nothing
    (Kazoo sets nothing for them either: the flow keeps its default)."""
    if action in (PARK, HANGUP):
        return AfterBridge(action) if is_true(data) else None
    if action == TRANSFER and isinstance(data, str) and TARGET.match(data):
        return AfterBridge(TRANSFER, data)
    return None


def remember(ctx: NodeContext, choice: AfterBridge | None) -> None:
    """Keep ``choice`` for the bridges that follow (None forgets an earlier one, as a
    later Kazoo node resets the variable)."""
    if choice is None:
        ctx.kvs_erase(KVS_KEY)
    else:
        ctx.kvs_store(KVS_KEY, {"action": choice.action, "target": choice.target})


def chosen(ctx: NodeContext) -> AfterBridge | None:
    """The choice an earlier ``after_bridge`` node made for this call, if any."""
    stored = ctx.kvs_fetch(KVS_KEY)
    if not isinstance(stored, dict):
        return None
    return AfterBridge(str(stored.get("action")), str(stored.get("target") or ""))


def after_bridge_steps(ctx: NodeContext, choice: AfterBridge | None) -> Steps:
    """What the caller gets once a connected bridge ends with them still there (a
    step-module sub-generator: ``return (yield from after_bridge_steps(...))``)."""
    if choice is None:
        return Stop()
    ctx.note(f"after the bridge: {choice.describe()}")
    if choice.action == HANGUP:
        return HardStop()
    if choice.action == PARK:
        return Wait()  # nothing sent: the caller stays in the switch's park until they leave
    result = yield BlindTransfer(choice.target)
    ctx.note(f"transfer to {choice.target} failed: {result.status} {result.response}")
    return Stop()


@dataclass(frozen=True)
class BlindTransfer(CommandStep):
    """Send the call through the dialplan to ``target``. It parks again there and is
    routed anew, which leaves the node: the step ends only when the transfer fails (the
    command refused, or the caller gone)."""

    target: str

    def send(self, ctx: NodeContext, run: dict[str, Any]) -> None:
        ctx.execute("transfer", f"{self.target} XML {DEFAULT_CONTEXT}")

    def on_event(self, ctx: NodeContext, run: dict[str, Any], event: CallEvent) -> Result | None:
        result = super().on_event(ctx, run, event)
        return None if result is None or result.ok else result
