"""``eavesdrop``: listen to a call of a device or user (Kazoo's cf_eavesdrop).

Only a caller Kazoo approves may: the first of ``approved_device_id`` (the calling
device), ``approved_user_id`` (a device of that user) and ``approved_group_id`` (a device
of that group) the node has decides; a node with none approves nobody. Refused:
``eavesdrop-no_channels``, stop. The target is ``device_id``, else the devices of
``user_id``; the call listened to is the oldest live answered call of the account on
which one of them talks (``pickup-no_users`` when the target has no device,
``pickup-no_channels`` when none of them is on a call). The caller is answered and the
switch's ``eavesdrop`` runs (``*`` ends it) until either call ends; then the flow stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from callflow.approvals import Approval, WatchData, watched_devices
from callflow.context import NodeContext
from callflow.feature_codes import prompts
from callflow.live_calls import calls_with
from callflow.outcomes import Stop
from callflow.steps import ERROR, NOT_FOUND, Answer, Execute, Result, Step, StepModule, Steps


class EavesdropData(WatchData):
    """Kazoo's callflows.eavesdrop data."""


@dataclass(frozen=True)
class FindCall(Step):
    """The call to listen to: ``details["call_id"]``; ERROR ``NOT FOUND`` when the target
    has no device, ERROR ``no call`` when none of its devices is on a call."""

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        devices = watched_devices(ctx)
        if not devices:
            return Result(ERROR, response=NOT_FOUND)
        account = str(ctx.call["account_id"])
        calls = calls_with(
            ctx.redis_client(), ctx.settings, account, devices, str(ctx.call["call_id"])
        )
        if not calls:
            return Result(ERROR, response="no call")
        return Result(details={"call_id": calls[0]})


def refuse(ctx: NodeContext, why: str) -> Steps:
    """Kazoo's refusal to eavesdrop: answer, ``eavesdrop-no_channels``, stop."""
    ctx.note(why)
    yield Answer()
    yield from prompts("eavesdrop-no_channels")
    return Stop()


class Eavesdrop(StepModule):
    """Checks the approval, finds the call, listens (see the module documentation)."""

    data_schema = EavesdropData

    def steps(self, ctx: NodeContext) -> Steps:
        approved = yield Approval()
        if approved.failed:
            return (yield from refuse(ctx, "caller not approved to eavesdrop"))
        found = yield FindCall()
        if found.failed:
            ctx.note("no device to listen to" if found.response == NOT_FOUND else "no call")
            yield Answer()
            no_users = found.response == NOT_FOUND
            yield from prompts("pickup-no_users" if no_users else "pickup-no_channels")
            return Stop()
        target = found.details["call_id"]
        ctx.note(f"listening to {target}")
        yield Answer()
        yield Execute("set", "eavesdrop_enable_dtmf=true")
        yield Execute("eavesdrop", target)
        return Stop()
