"""``set_variable``: one of the variables Kazoo lets a flow set by name (Kazoo's
cf_set_variable: ``call_priority`` is the custom channel variable ``Call-Priority``,
``group_id`` is ``Group-ID``), on the caller's leg (``channel: a``) or exported to the
legs bridged later too (``both``). Other names set nothing, as in Kazoo (the trace says so)."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData
from callflow.modules.fields import text
from callflow.variables import set_channel_variable

NAMES = {"call_priority": "Call-Priority", "group_id": "Group-ID"}
"""Kazoo's name mapping: variable -> custom channel variable."""


class SetVariableSchema(ModuleData):
    """Kazoo's callflows.set_variable data."""

    variable = fields.String(validate=validate.Length(max=64), metadata={"description": "name"})
    value = text("the value")
    channel = fields.String(load_default="a", validate=validate.OneOf(["a", "both"]))


class SetVariable(CommandModule):
    """Sets the variable, then continues to ``_``."""

    data_schema = SetVariableSchema

    def send(self, ctx: NodeContext) -> None:
        name = NAMES.get(ctx.data.get("variable") or "")
        value = ctx.data.get("value")
        if name is None or not value:
            ctx.note(f"nothing set: variable {ctx.data.get('variable')!r}, value {value!r}")
            return
        set_channel_variable(ctx, name, value, export=ctx.data["channel"] == "both")
