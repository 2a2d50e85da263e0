"""``intercom``: page the number dialed after the feature code (Kazoo's cf_intercom).

The capture group (``*0<extension>``) is routed as a number of the account (its numbers
and patterns, never ``no_match``) and the call branches there with the custom channel
variable ``Auto-Answer-Suppress-Notify`` set (``true``, or ``false`` with
``barge_calls``), as Kazoo does. Nothing to route: the flow stops. The legs rung do not
yet carry auto-answer headers, so a phone rings as for any call.
"""

from __future__ import annotations

from marshmallow import fields

from callflow import hunting
from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData
from callflow.outcomes import Outcome, Stop
from callflow.variables import set_channel_variable

SUPPRESS_NOTIFY = "Auto-Answer-Suppress-Notify"


class IntercomSchema(ModuleData):
    """Kazoo's callflows.intercom data."""

    barge_calls = fields.Boolean(load_default=False)


class Intercom(CommandModule):
    """Sets the variable, then branches to the dialed extension's callflow."""

    data_schema = IntercomSchema

    def send(self, ctx: NodeContext) -> None:
        if ctx.call.get("capture_group"):
            barge = "false" if ctx.data["barge_calls"] else "true"
            set_channel_variable(ctx, SUPPRESS_NOTIFY, barge)

    def done(self, ctx: NodeContext) -> Outcome:
        number = str(ctx.call.get("capture_group") or "")
        branch = hunting.find_route(ctx, number) if number else None
        if branch is None:
            ctx.note(f"{number or 'no number'}: nothing to page")
            return Stop()
        return branch
