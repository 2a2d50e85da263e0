"""``group``: ring a group document's members, or a list of endpoint ids (Kazoo's
cf_group): like ``ring_group`` with the members' own settings."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.legs import Bridge, RingModule
from callflow.module import ModuleData
from callflow.modules.ring_group import RingtonesSchema


class GroupSchema(ModuleData):
    """Kazoo's callflows.group data."""

    id = fields.String(
        validate=validate.Length(min=1, max=128), metadata={"description": "group id"}
    )
    endpoints = fields.List(
        fields.String(validate=validate.Length(min=1, max=128)), load_default=list
    )
    strategy = fields.String(
        load_default="simultaneous", validate=validate.OneOf(["simultaneous", "single"])
    )
    timeout = fields.Integer(load_default=20, validate=validate.Range(min=0, max=3600))
    repeats = fields.Integer(load_default=1, validate=validate.Range(min=1, max=20))
    ringback = fields.String(validate=validate.Length(max=1024))
    ignore_forward = fields.Boolean(load_default=True)
    fail_on_single_reject = fields.Boolean()
    ringtones = fields.Nested(RingtonesSchema)


class Group(RingModule):
    """Rings the group ``id`` (its members) and the extra ``endpoints`` (users or
    devices, whichever each id names)."""

    data_schema = GroupSchema

    def repeats(self, ctx: NodeContext) -> int:
        return int(ctx.data["repeats"])

    def bridge(self, ctx: NodeContext) -> Bridge | None:
        targets = []
        if ctx.data.get("id"):
            targets.append(("group", ctx.data["id"], None, None))
        targets += [("any", endpoint_id, None, None) for endpoint_id in ctx.data["endpoints"]]
        return Bridge(
            tuple(targets),
            strategy=ctx.data["strategy"],
            timeout=ctx.data["timeout"] or None,
            ringback=ctx.data.get("ringback"),
            ignore_early_media=True,
        )
