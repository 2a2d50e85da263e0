"""``call_waiting``: a feature code that turns call waiting on or off (Kazoo's
cf_call_waiting).

It changes ``call_waiting.enabled`` (on unless set) of the calling device (``scope``
device, the default) or of the caller's user (``scope`` user): ``toggle`` (the default),
``activate`` or ``deactivate``; the caller hears it, then ``_``. No such document: the
flow stops. Ringing does not read it yet: a phone already on a call is rung as any other.
"""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.feature_codes import DEVICE, OWNER, CallerDocument, SwitchFeature
from callflow.module import ModuleData


class CallWaitingSchema(ModuleData):
    """Kazoo's callflows.call_waiting data."""

    action = fields.String(
        load_default="toggle", validate=validate.OneOf(["activate", "deactivate", "toggle"])
    )
    scope = fields.String(load_default="device", validate=validate.OneOf(["device", "user"]))


class CallWaiting(SwitchFeature):
    """Sets ``call_waiting.enabled`` and says so."""

    data_schema = CallWaitingSchema
    key = "call_waiting"
    default = True
    on_prompt, off_prompt = "cw-activated", "cw-deactivated"
    unavailable_prompt = "cw-not_available"

    def document(self, ctx: NodeContext) -> CallerDocument:
        return CallerDocument(sources=(OWNER,) if ctx.data["scope"] == "user" else (DEVICE,))
