"""``user``: ring every device a user owns (Kazoo's cf_user).

A connected call stops the flow; a failure takes the child named by its hangup cause or
SIP code, else ``_`` (a user with no device to ring goes to ``_``)."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.legs import Bridge, RingModule
from callflow.module import ModuleData


class UserSchema(ModuleData):
    """Kazoo's callflows.user data."""

    id = fields.String(
        validate=validate.Length(min=1, max=128), metadata={"description": "user id"}
    )
    timeout = fields.Integer(load_default=20, validate=validate.Range(min=0, max=3600))
    delay = fields.Integer(load_default=0, validate=validate.Range(min=0, max=3600))
    strategy = fields.String(
        load_default="simultaneous", validate=validate.OneOf(["simultaneous", "single"])
    )
    can_call_self = fields.Boolean(load_default=False)
    can_text_self = fields.Boolean()
    fail_on_single_reject = fields.Boolean()
    custom_sip_headers = fields.Dict(keys=fields.String(), values=fields.Raw())
    static_invite = fields.String()
    suppress_clid = fields.Boolean()


class User(RingModule):
    """Rings the user's devices with the node's strategy; simultaneous legs ring with the
    caller hearing ring-back rather than one device's early media (as Kazoo)."""

    data_schema = UserSchema

    def bridge(self, ctx: NodeContext) -> Bridge | None:
        user_id = ctx.data.get("id")
        if not user_id:
            return None
        if not ctx.data["can_call_self"] and ctx.call["ccvs"].get("Owner-ID") == user_id:
            ctx.note("a user does not ring itself (can_call_self is false)")
            return None
        strategy = ctx.data["strategy"]
        return Bridge(
            (("user", user_id, ctx.data["delay"] or None, None),),
            strategy=strategy,
            timeout=ctx.data["timeout"] or 20,
            ignore_early_media=strategy == "simultaneous",
        )
