"""``ring_group``: ring users, devices and groups together, in turn or by weight (Kazoo's
cf_ring_group).

Each member rings with its own ``delay`` and ``timeout``; ``strategy`` is
``simultaneous``, ``single`` (one after the other, in order) or ``weighted_random``
(one after the other, the order drawn by ``weight``). The group is tried ``repeats``
times (members whose ``disable_until`` is later than now are left out: logged out by
``ring_group_toggle``); a connected call stops the flow; a failure goes to the child
named by its hangup cause or SIP code if there is one, else to the next repeat, then
``_``.
"""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.legs import Bridge, RingModule
from callflow.module import ModuleData
from kazoo_tasks.clock import to_gregorian

STRATEGIES = ["simultaneous", "single", "weighted_random"]


class MemberSchema(ModuleData):
    """One member of the group."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    endpoint_type = fields.String(
        load_default="device", validate=validate.OneOf(["device", "user", "group"])
    )
    delay = fields.Integer(load_default=0, validate=validate.Range(min=0, max=3600))
    timeout = fields.Integer(load_default=20, validate=validate.Range(min=0, max=3600))
    weight = fields.Integer(validate=validate.Range(min=1, max=100))
    disable_until = fields.Integer(
        metadata={"description": "not rung until then (gregorian seconds; ring_group_toggle)"}
    )


class RingtonesSchema(ModuleData):
    internal = fields.String()
    external = fields.String()


class RingGroupSchema(ModuleData):
    """Kazoo's callflows.ring_group data."""

    endpoints = fields.List(fields.Nested(MemberSchema), required=True)
    strategy = fields.String(load_default="simultaneous", validate=validate.OneOf(STRATEGIES))
    timeout = fields.Integer(load_default=20, validate=validate.Range(min=0, max=3600))
    repeats = fields.Integer(load_default=1, validate=validate.Range(min=1, max=20))
    ringback = fields.String(validate=validate.Length(max=1024))
    ignore_forward = fields.Boolean(load_default=True)
    fail_on_single_reject = fields.Boolean()
    ringtones = fields.Nested(RingtonesSchema)


class RingGroup(RingModule):
    """Rings the members as the strategy says, ``repeats`` times."""

    data_schema = RingGroupSchema

    def repeats(self, ctx: NodeContext) -> int:
        return int(ctx.data["repeats"])

    def bridge(self, ctx: NodeContext) -> Bridge | None:
        now = to_gregorian(ctx.now())
        members = [m for m in ctx.data["endpoints"] if (m.get("disable_until") or 0) <= now]
        strategy = ctx.data["strategy"]
        targets = tuple(
            (m["endpoint_type"], m["id"], m["delay"] or None, m["timeout"] or None) for m in members
        )
        weighted = strategy == "weighted_random"
        return Bridge(
            targets,
            strategy="single" if weighted else strategy,
            timeout=ctx.data["timeout"] or None,
            ringback=ctx.data.get("ringback"),
            ignore_early_media=True,
            weights=tuple(m.get("weight") or 1 for m in members) if weighted else (),
        )
