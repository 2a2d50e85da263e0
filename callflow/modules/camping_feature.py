"""``camping_feature``: camp on a busy extension (Kazoo's cf_camping_feature with the
``camper`` app's onnet handler), e.g. pattern ``^\\*5([0-9]+)$``.

The call is answered and the captured digits are looked up in the account's callflows
(numbers and patterns, never ``no_match``). The callflow's first node must be a ``user``
or a ``device`` with an ``id``, and the caller an authorized phone (the call's
``Authorizing-ID`` and ``-Type``); otherwise Kazoo's ``camper-deny`` plays and the flow
stops. When none of the target's devices is on a call now, the call goes on at once to
``{"module": <user|device>, "data": {"id": <id>}}`` (in place of the rest of this flow).
A caller whose ``Authorizing-Type`` is neither ``device`` nor ``user`` is refused too (Kazoo's
camper could not ring it back).
When one is, a camp request is stored for ``timeout`` minutes (default 15, Kazoo's),
``camper-queue`` plays and the flow stops; once the target is free, the requester's
phones are called back and, answered, connected to the extension (:mod:`callflow.camping`).

Kazoo's offnet camping (a ``no_match`` number: an outside number is retried ``tries``
times, every ``try_interval`` minutes, until ``stop_after``) is not implemented: the
keys are accepted, and such a number is refused with ``camper-deny``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from callflow import router
from callflow.camping import CampRequest, CampRequests, target_busy
from callflow.context import NodeContext
from callflow.endpoints import EndpointReader
from callflow.feature_codes import prompts
from callflow.legs import endpoint_reader
from callflow.module import ModuleData
from callflow.outcomes import ContinueWith, Stop
from callflow.steps import ERROR, Answer, Result, Step, StepModule, Steps
from kazoo_tasks.commands import ORIGINATE_DESTINATION_PATTERN

TARGET_TYPES = ("user", "device")
"""What a camp may target, and what may camp (Kazoo's camper rings devices and users)."""
DIALABLE = re.compile(ORIGINATE_DESTINATION_PATTERN)
"""An extension the call back can be routed to (digits, ``*``, ``#``)."""
DEFAULT_TIMEOUT = 15
"""Minutes a camp request waits (Kazoo camper's default ``timeout``)."""
CONNECT, QUEUED = "connect", "queued"


class CampingFeatureData(ModuleData):
    """Kazoo's callflows.camping_feature data (and the keys its module reads)."""

    timeout = fields.Integer(
        load_default=DEFAULT_TIMEOUT,
        validate=validate.Range(min=1, max=24 * 60),
        metadata={"description": "minutes a camp request waits for the extension"},
    )
    tries = fields.Integer(
        validate=validate.Range(min=1, max=100),
        metadata={"description": "offnet camping (not implemented): call attempts"},
    )
    try_interval = fields.Integer(
        validate=validate.Range(min=1, max=24 * 60),
        metadata={"description": "offnet camping (not implemented): minutes between tries"},
    )
    stop_after = fields.Integer(
        validate=validate.Range(min=1, max=24 * 60),
        metadata={"description": "offnet camping (not implemented): minutes to give up after"},
    )


def _devices_of(reader: EndpointReader, kind: str, target_id: str) -> tuple[str, ...]:
    if kind == "device":
        return (target_id,)
    return tuple(doc["_id"] for doc in reader.owned_devices(target_id))


@dataclass(frozen=True)
class CampOn(Step):
    """Resolve ``number``; connect at once (``details["action"]`` :data:`CONNECT`, with
    ``type`` and ``id``) or store a camp request for ``minutes`` (:data:`QUEUED`); ERROR
    with the reason in ``response``."""

    number: str
    minutes: int

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        call = ctx.call
        account_id = str(call["account_id"])
        if not DIALABLE.match(self.number):
            return Result(ERROR, response=f"no callflow with extension {self.number}")
        found = router.route(ctx.documents(), account_id, self.number, ctx.cache)
        if isinstance(found, router.NoRoute):
            return Result(ERROR, response=f"no callflow with extension {self.number}")
        if found.matched_by == router.NO_MATCH:
            return Result(ERROR, response=f"{self.number}: offnet camping is not implemented")
        flow = found.callflow.get("flow") or {}
        kind, data = flow.get("module"), flow.get("data") or {}
        target_id = data.get("id") if isinstance(data, dict) else None
        if kind not in TARGET_TYPES or not isinstance(target_id, str) or not target_id:
            return Result(ERROR, response=f"extension {self.number} is not a user or a device")
        ccvs = call["ccvs"]
        requester, requester_type = ccvs.get("Authorizing-ID"), ccvs.get("Authorizing-Type")
        if not requester or requester_type not in TARGET_TYPES:
            return Result(ERROR, response="the caller is not an authorized phone")
        reader = endpoint_reader(ctx)
        devices = _devices_of(reader, kind, target_id)
        client = ctx.redis_client()
        if not target_busy(client, ctx.settings, account_id, devices, exclude=call["call_id"]):
            return Result(details={"action": CONNECT, "type": kind, "id": target_id})
        request = CampRequest(
            call_id=call["call_id"],
            account_id=account_id,
            realm=reader.context.realm,
            node=call["node"],
            requester_id=requester,
            requester_type=requester_type,
            number=self.number,
            target_type=kind,
            target_id=target_id,
            devices=devices,
        )
        CampRequests(client, ctx.settings).add(request, self.minutes * 60)
        ctx.note(f"camping on {self.number} ({kind} {target_id}) for {self.minutes} min")
        return Result(details={"action": QUEUED})


class CampingFeature(StepModule):
    """Camps on the extension dialed after the code (module docstring)."""

    data_schema = CampingFeatureData

    def steps(self, ctx: NodeContext) -> Steps:
        yield Answer()
        number = str(ctx.call.get("capture_group") or "")
        camp = yield CampOn(number, ctx.data["timeout"])
        if camp.failed:
            ctx.note(camp.response)
            yield from prompts("camper-deny")
            return Stop()
        if camp.details["action"] == CONNECT:
            target = {"module": camp.details["type"], "data": {"id": camp.details["id"]}}
            return ContinueWith(target, name="camping")
        yield from prompts("camper-queue")
        return Stop()
