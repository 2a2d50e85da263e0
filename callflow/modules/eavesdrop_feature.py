"""``eavesdrop_feature``: listen to the call of the extension dialed after the code
(Kazoo's cf_eavesdrop_feature, e.g. pattern ``^\\*88(\\d+)$``).

The caller must be approved by the node's ``approved_*`` keys (none: nobody is, as in
Kazoo). The captured extension is routed through the account's callflows to the first
``user`` or ``device`` node (:mod:`callflow.feature_targets`); with ``group_id`` that user
or device must be a member of the group. Then the node runs as ``eavesdrop`` on that
target with the calling device approved. Any refusal: ``eavesdrop-no_channels``, stop.
"""

from __future__ import annotations

from callflow.approvals import Approval, ApprovalData, calling_device
from callflow.context import NodeContext
from callflow.feature_targets import EXTENSION, FindTarget
from callflow.modules.eavesdrop import Eavesdrop, refuse
from callflow.modules.fields import document_id
from callflow.steps import Steps


class EavesdropFeatureData(ApprovalData):
    """Kazoo's callflows.eavesdrop_feature data."""

    group_id = document_id("the target must be a member of this group")


class EavesdropFeature(Eavesdrop):
    """Checks the approval, resolves the dialed extension, then eavesdrops on it."""

    data_schema = EavesdropFeatureData

    def steps(self, ctx: NodeContext) -> Steps:
        approved = yield Approval()
        if approved.failed:
            return (yield from refuse(ctx, "caller not approved to eavesdrop"))
        found = yield FindTarget(
            EXTENSION,
            str(ctx.call.get("capture_group") or ""),
            member_of=ctx.data.get("group_id", ""),
        )
        if found.failed:
            return (yield from refuse(ctx, found.response))
        target = {found.details["key"]: found.details["id"]}
        ctx.data = {**target, "approved_device_id": calling_device(ctx)}
        return (yield from super().steps(ctx))
