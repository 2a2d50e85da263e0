"""``after_bridge``: choose what happens to the caller when a later bridge that
connected ends with the caller still there (Kazoo's cf_after_bridge): ``park`` (``data``
true: the caller stays, parked, until they hang up), ``transfer`` (``data``: the number
the call goes to, routed anew) or ``hangup`` (``data`` true: the call ends even where a
flow that branched here would resume). Applied by the ringing modules
(:mod:`callflow.after_bridge`). Children: ``_``, at once."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from callflow import after_bridge
from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.modules.fields import plain_text
from callflow.outcomes import Continue, Outcome


def _boolean_or_text(value: Any) -> None:
    if isinstance(value, bool):
        return
    if not isinstance(value, str):
        raise ValidationError("a boolean, or the number to transfer to")
    plain_text(value)


class AfterBridgeSchema(ModuleData):
    """Kazoo's callflows.after_bridge data."""

    action = fields.String(
        validate=validate.OneOf([after_bridge.PARK, after_bridge.TRANSFER, after_bridge.HANGUP])
    )
    data = fields.Raw(
        validate=_boolean_or_text,
        metadata={"description": "the number to transfer to, or a boolean (park, hangup)"},
    )


class AfterBridge(CallflowModule):
    """Keeps the choice for the bridges that follow and continues to ``_``."""

    data_schema = AfterBridgeSchema

    def start(self, ctx: NodeContext) -> Outcome:
        choice = after_bridge.choose(ctx.data.get("action"), ctx.data.get("data"))
        after_bridge.remember(ctx, choice)
        if choice is None:
            ctx.note(f"nothing set: {ctx.data.get('action')!r} {ctx.data.get('data')!r}")
        else:
            ctx.note(f"after a bridge: {choice.describe()}")
        return Continue()
