"""``move``: take over, on this phone, the call the caller's user is on from another of
her phones (Kazoo's cf_move): e.g. move a call from the desk phone to the mobile without
calling the other party back.

The caller's owner (``Owner-ID``) must be known (else Kazoo's ``cf-move-no_owner``). The
channels of her devices on the account's live calls, other than this call, are found
(:func:`callflow.live_calls.channels_talking_to`): none, ``cf-move-no_channel``; more
than one, ``cf-move-too_many_channels`` (Kazoo cannot tell which to move either). The one
channel talking to her phone is taken over with the switch's ``intercept`` (Kazoo's
``call_pickup``): the phone she leaves is hung up (``PICKED_OFF``) and the other party is
bridged to this phone; the node holds until someone hangs up. Then the flow stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callflow.context import NodeContext
from callflow.feature_codes import OWNER, prompts
from callflow.legs import endpoint_reader
from callflow.live_calls import channels_talking_to
from callflow.outcomes import Stop
from callflow.pickup import InterceptCall, UntilHangup
from callflow.steps import ERROR, Result, Step, StepModule, Steps

NO_OWNER, NO_CHANNEL, TOO_MANY = (
    "cf-move-no_owner",
    "cf-move-no_channel",
    "cf-move-too_many_channels",
)
"""Kazoo's prompts (and this module's refusal reasons)."""


@dataclass(frozen=True)
class FindChannel(Step):
    """The channel to take over: ``details["channel"]``, or ERROR with a reason
    (:data:`NO_OWNER`, :data:`NO_CHANNEL`, :data:`TOO_MANY`)."""

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        owner = str(ctx.call["ccvs"].get(OWNER) or "")
        if not owner:
            return Result(ERROR, response=NO_OWNER)
        devices = {doc["_id"] for doc in endpoint_reader(ctx).owned_devices(owner)}
        account, me = str(ctx.call["account_id"]), str(ctx.call["call_id"])
        channels = channels_talking_to(ctx.redis_client(), ctx.settings, account, devices, me)
        if not channels:
            return Result(ERROR, response=NO_CHANNEL)
        if len(channels) > 1:
            return Result(ERROR, response=TOO_MANY, details={"channels": channels})
        return Result(details={"channel": channels[0]})


class Move(StepModule):
    """Finds the owner's other channel and takes it over (see the module docstring)."""

    def steps(self, ctx: NodeContext) -> Steps:
        found = yield FindChannel()
        if found.failed:
            ctx.note(f"nothing to move: {found.response}")
            yield from prompts(found.response)
            return Stop()
        channel = found.details["channel"]
        ctx.note(f"moving {channel}")
        moved = yield InterceptCall(channel)
        if moved.failed:
            ctx.note(f"{channel} could not be moved")
            return Stop()
        yield UntilHangup()
        return Stop()
