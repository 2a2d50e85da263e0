"""``transfer``: send the call back through the switch's dialplan to another number (a
blind transfer, Kazoo's cf_transfer): it parks again there and is routed anew, for the
new number, by the callflows of its account."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate

from callflow.context import NodeContext
from callflow.endpoints import DEFAULT_CONTEXT
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome, Wait
from kazoo_tasks.events import CallEvent

TARGET = re.compile(r"^\+?[A-Za-z0-9*#_.-]{1,64}$")
"""A number or extension a call can be transferred to."""


def _target(value: str) -> None:
    if not TARGET.match(value):
        raise ValidationError("a number or extension (digits, letters, + * # _ . -)")


class TransferSchema(ModuleData):
    """Kazoo's callflows.transfer data."""

    target = fields.String(validate=_target, metadata={"description": "the number to go to"})
    captures = fields.List(fields.String(), load_default=lambda: ["no_match"])
    leg = fields.String(validate=validate.OneOf(["self", "bleg"]))
    transfer_type = fields.String(
        load_default="blind", validate=validate.OneOf(["blind", "attended"])
    )


class Transfer(CallflowModule):
    """Transfers the call (``leg`` ``self``, the default) or its bridged partner
    (``bleg``) to ``target`` (else the call's capture group); an attended transfer is not
    implemented (noted, on to ``_``)."""

    data_schema = TransferSchema

    def start(self, ctx: NodeContext) -> Outcome:
        if ctx.data["transfer_type"] == "attended":
            ctx.note("attended transfer is not implemented")
            return Continue()
        target = ctx.data.get("target") or ctx.call.get("capture_group") or ""
        if not TARGET.match(target):
            ctx.note(f"no number to transfer to ({target!r})")
            return Continue()
        if ctx.data.get("leg") == "bleg":
            ctx.state["wait_for"] = ctx.api(
                "uuid_transfer", f"-bleg {target} XML {DEFAULT_CONTEXT}"
            )
        else:
            ctx.state["wait_for"] = ctx.execute("transfer", f"{target} XML {DEFAULT_CONTEXT}")
        return Wait()

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        if ctx.completed(event) == ctx.state.get("wait_for") and event["name"] == "COMMAND_ERROR":
            ctx.note(f"transfer refused: {event.get('application_response', '')}")
            return Continue()
        return Wait()  # the call parks again and is routed for the new number
