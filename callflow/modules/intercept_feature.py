"""``intercept_feature``: answer a call ringing the phone named by the digits dialed after
the code (Kazoo's cf_intercept_feature).

``type`` says how the digits are read (:mod:`callflow.feature_targets`): ``extension``
(the first ``user`` or ``device`` node of the extension's callflow) or ``device`` (a SIP
username); ``user``, or no ``type``, are refused as Kazoo refuses them. No target: Kazoo's
``park-no_caller``, stop. With an ``approved_*`` key the node runs as ``intercept`` on the
target with those keys; without, only a phone of the target's owner may (the calling
device's ``owner_id`` is the target user, or that of the target device), else Kazoo's
``intercept-no_channels`` and stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import fields, validate

from callflow.approvals import ApprovalData, approvals, calling_device
from callflow.context import NodeContext
from callflow.feature_codes import prompts
from callflow.feature_targets import DEVICE, EXTENSION, TARGET_KEYS, USER, FindTarget
from callflow.modules.intercept import Intercept
from callflow.outcomes import Stop
from callflow.steps import ERROR, Answer, Result, Step, Steps


class InterceptFeatureData(ApprovalData):
    """Kazoo's callflows.intercept_feature data."""

    type = fields.String(
        validate=validate.OneOf([USER, DEVICE, EXTENSION]),
        metadata={"description": "how the dialed digits name the phones to intercept"},
    )


@dataclass(frozen=True)
class SameOwner(Step):
    """DONE when the calling device belongs to the owner of the target (``key`` is
    ``user_id``: that user; ``device_id``: the owner of that device), else ERROR."""

    key: str
    target: str

    def start(self, ctx: NodeContext, run: dict[str, Any]) -> Result | None:
        caller = ctx.document(calling_device(ctx)) if calling_device(ctx) else None
        owner = (caller or {}).get("owner_id")
        if self.key == TARGET_KEYS[USER]:
            wanted = self.target
        else:
            wanted = (ctx.document(self.target) or {}).get("owner_id")
        return Result() if owner and owner == wanted else Result(ERROR)


class InterceptFeature(Intercept):
    """Resolves the dialed digits, checks who may, then intercepts (module docstring)."""

    data_schema = InterceptFeatureData

    def steps(self, ctx: NodeContext) -> Steps:
        found = yield FindTarget(
            ctx.data.get("type") or "", str(ctx.call.get("capture_group") or "")
        )
        if found.failed:
            ctx.note(found.response)
            yield from prompts("park-no_caller")
            return Stop()
        target = {found.details["key"]: found.details["id"]}
        approved = approvals(ctx)
        if not approved:
            same = yield SameOwner(found.details["key"], found.details["id"])
            if same.failed:
                ctx.note("caller not approved to pick up")
                yield Answer()
                yield from prompts("intercept-no_channels")
                return Stop()
            approved = {"approved_device_id": calling_device(ctx)}
        ctx.data = {**approved, **target}
        return (yield from super().steps(ctx))
