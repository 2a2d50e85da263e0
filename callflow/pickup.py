"""Answering a call that rings another phone: Kazoo's cf_intercept and cf_group_pickup.

The phones watched are ``device_id``, else the devices of ``user_id``, else those of
``group_id`` (the most restrictive given wins, as in Kazoo). The call taken is the oldest
live call of the account whose bridge rings one of them now (:mod:`callflow.live_calls`);
the caller's phone runs the switch's ``intercept`` on it: the rung phones stop ringing
(PICKED_OFF), the calling party is bridged to the caller, and its own flow leaves the
ringing node quietly (``callflow.exe``: no failure branch, no voicemail). The node then
holds until someone hangs up. Refused: Kazoo's words "you have no permission to intercept
this call" (TTS); no device watched: ``pickup-no_users``; nothing ringing:
``pickup-no_channels``; then the flow stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from marshmallow import fields, validate

from callflow.approvals import EVERYBODY, Approval, WatchData, watched_devices
from callflow.context import NodeContext
from callflow.feature_codes import prompts
from callflow.live_calls import calls_ringing
from callflow.outcomes import Stop
from callflow.steps import (
    ERROR,
    NOT_FOUND,
    Answer,
    CommandStep,
    Result,
    Step,
    StepModule,
    Steps,
    Tts,
)
from kazoo_tasks.events import CallEvent

NO_PERMISSION = "you have no permission to intercept this call"
"""What Kazoo says to a caller who may not pick up (cf_intercept, cf_group_pickup)."""


class PickupData(WatchData):
    """Kazoo's callflows.intercept and callflows.group_pickup data (the same keys)."""

    group_id = fields.String(validate=validate.Length(min=1, max=128))


@dataclass(frozen=True)
class FindRinging(Step):
    """The call to take: ``details["call_id"]``; ERROR ``NOT FOUND`` when no device is
    watched, ERROR ``no call`` when none of them rings."""

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        devices = watched_devices(ctx)
        if not devices:
            return Result(ERROR, response=NOT_FOUND)
        account, me = str(ctx.call["account_id"]), str(ctx.call["call_id"])
        calls = calls_ringing(ctx.redis_client(), ctx.settings, account, devices, me)
        if not calls:
            return Result(ERROR, response="no call")
        return Result(details={"call_id": calls[0]})


@dataclass(frozen=True)
class InterceptCall(CommandStep):
    """The switch's ``intercept`` of call ``call_id``; ERROR when the switch did not take
    it over (it stopped ringing meanwhile): no ``uuid_bridge`` transfer to it followed."""

    call_id: str

    def send(self, ctx: NodeContext, run: dict[str, Any]) -> None:
        ctx.execute("intercept", self.call_id)

    def completed(self, event: CallEvent, run: dict[str, Any]) -> Result:
        source = event.get("headers", {}).get("Caller-Transfer-Source", "")
        return Result() if source.endswith(f":uuid_br:{self.call_id}") else Result(ERROR)


@dataclass(frozen=True)
class UntilHangup(Step):
    """Hold the node until the call hangs up (the engine ends the call then)."""

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        return None


class PickupModule(StepModule):
    """Checks the approval, finds a ringing call, takes it (see the module docstring)."""

    data_schema = PickupData
    without_key: ClassVar[str] = EVERYBODY
    """Who a node with no ``approved_*`` key lets pick up (:class:`Approval`)."""

    def steps(self, ctx: NodeContext) -> Steps:
        approved = yield Approval(self.without_key)
        if approved.failed:
            ctx.note("caller not approved to pick up")
            yield Answer()
            yield Tts(NO_PERMISSION)
            return Stop()
        found = yield FindRinging()
        if found.failed:
            no_users = found.response == NOT_FOUND
            ctx.note("no device to pick up from" if no_users else "no call ringing")
            yield Answer()
            yield from prompts("pickup-no_users" if no_users else "pickup-no_channels")
            return Stop()
        target = found.details["call_id"]
        ctx.note(f"picking up {target}")
        picked = yield InterceptCall(target)
        if picked.failed:
            ctx.note(f"{target} stopped ringing")
            yield Answer()
            yield from prompts("pickup-no_channels")
            return Stop()
        yield UntilHangup()
        return Stop()
