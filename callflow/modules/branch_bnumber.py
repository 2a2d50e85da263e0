"""``branch_bnumber``: branch on the dialed number's capture group (Kazoo's
cf_branch_bnumber). Without ``hunt`` the child named by the capture group (else ``_``);
with ``hunt``, the capture group is routed as a number of the account (when ``hunt_allow``
matches it, or is unset, and ``hunt_deny`` does not) and the call branches to its
callflow; the account's ``no_match`` only for a call from one of its devices. No capture
group, or nothing found: ``_``."""

from __future__ import annotations

from marshmallow import fields

from callflow.context import NodeContext
from callflow.hunting import find_route, hunt_allowed, may_reach_no_match
from callflow.module import CallflowModule, ModuleData
from callflow.modules.fields import regular_expression
from callflow.outcomes import Continue, Outcome


class BranchBnumberSchema(ModuleData):
    """Kazoo's callflows.branch_bnumber data."""

    hunt = fields.Boolean(load_default=False)
    hunt_allow = fields.String(load_default="", validate=regular_expression)
    hunt_deny = fields.String(load_default="", validate=regular_expression)


class BranchBnumber(CallflowModule):
    """Goes to the capture group's child, or branches to its callflow."""

    data_schema = BranchBnumberSchema

    def start(self, ctx: NodeContext) -> Outcome:
        number = str(ctx.call.get("capture_group") or "")
        data = ctx.data
        if not number:
            ctx.note("no capture group")
            return Continue()
        if not data["hunt"]:
            return Continue(number)
        if not hunt_allowed(number, data["hunt_allow"], data["hunt_deny"]):
            ctx.note(f"{number} may not be hunted")
            return Continue()
        found = find_route(ctx, number, allow_no_match=may_reach_no_match(ctx))
        if found is None:
            ctx.note(f"no callflow for {number}")
            return Continue()
        return found
