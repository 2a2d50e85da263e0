"""``device``: ring one device (Kazoo's cf_device).

A connected call stops the flow; a failure takes the child named by its hangup cause
(``USER_NOT_REGISTERED``, ``USER_BUSY``, ``NO_ANSWER``...) or its SIP code (``486``...),
else ``_``."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.legs import Bridge, RingModule
from callflow.module import ModuleData


class DeviceSchema(ModuleData):
    """Kazoo's callflows.device data."""

    id = fields.String(
        validate=validate.Length(min=1, max=128), metadata={"description": "device id"}
    )
    timeout = fields.Integer(
        load_default=20, validate=validate.Range(min=0, max=3600),
        metadata={"description": "seconds to ring (0: 20)"},
    )  # fmt: skip
    delay = fields.Integer(load_default=0, validate=validate.Range(min=0, max=3600))
    dial_strategy = fields.String(
        load_default="simultaneous", validate=validate.OneOf(["simultaneous", "single"])
    )
    can_call_self = fields.Boolean(load_default=False)
    can_text_self = fields.Boolean()
    custom_sip_headers = fields.Dict(keys=fields.String(), values=fields.Raw())
    static_invite = fields.String()
    suppress_clid = fields.Boolean()


class Device(RingModule):
    """Rings the device's registered contact (or its route / call-forward number)."""

    data_schema = DeviceSchema

    def bridge(self, ctx: NodeContext) -> Bridge | None:
        device_id = ctx.data.get("id")
        if not device_id or _calls_itself(ctx, device_id):
            return None
        timeout = ctx.data["timeout"] or 20
        return Bridge(
            (("device", device_id, ctx.data["delay"] or None, timeout),),
            strategy=ctx.data["dial_strategy"],
            timeout=timeout,
        )


def _calls_itself(ctx: NodeContext, device_id: str) -> bool:
    """The device dialing itself, which Kazoo refuses unless ``can_call_self``."""
    if ctx.data.get("can_call_self"):
        return False
    return ctx.call["ccvs"].get("Authorizing-ID") == device_id
