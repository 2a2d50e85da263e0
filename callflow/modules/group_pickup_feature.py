"""``group_pickup_feature``: pick up a call ringing the phones named by the digits dialed
after the code (Kazoo's cf_group_pickup_feature, e.g. pattern ``^\\*7([0-9]+)$``).

``type`` (default ``extension``) says how the digits are read
(:mod:`callflow.feature_targets`): ``extension`` (the first ``user``, ``device``,
``ring_group`` or ``page_group`` node of the extension's callflow; a ring group gives its
first endpoint) or ``device`` (a SIP username); ``user`` and ``group`` are "work in
progress" in Kazoo and refused as there. No target: Kazoo's ``park-no_caller``, stop.
Else the node runs as ``group_pickup`` with its own data and the target set.
"""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.feature_codes import prompts
from callflow.feature_targets import DEVICE, EXTENSION, GROUP, USER, FindTarget
from callflow.modules.group_pickup import GroupPickup
from callflow.outcomes import Stop
from callflow.pickup import PickupData
from callflow.steps import Steps


class GroupPickupFeatureData(PickupData):
    """Kazoo's callflows.group_pickup_feature data."""

    type = fields.String(
        load_default=EXTENSION,
        validate=validate.OneOf([GROUP, USER, DEVICE, EXTENSION]),
        metadata={"description": "how the dialed digits name the phones to pick up from"},
    )


class GroupPickupFeature(GroupPickup):
    """Resolves the dialed digits, then picks up as ``group_pickup`` (module docstring)."""

    data_schema = GroupPickupFeatureData

    def steps(self, ctx: NodeContext) -> Steps:
        found = yield FindTarget(
            ctx.data["type"], str(ctx.call.get("capture_group") or ""), ring_groups=True
        )
        if found.failed:
            ctx.note(found.response)
            yield from prompts("park-no_caller")
            return Stop()
        ctx.data = {**ctx.data, found.details["key"]: found.details["id"]}
        return (yield from super().steps(ctx))
