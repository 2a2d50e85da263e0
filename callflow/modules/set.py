"""``set`` and ``set_variables``: set custom channel / application variables on the call
(Kazoo's cf_set_variables; our ``set`` also takes ``custom_channel_vars``).

Only Kazoo's own variable families can be set (:mod:`callflow.variables`).
"""

from __future__ import annotations

from marshmallow import fields

from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData
from callflow.modules.fields import plain_text, variable_name
from callflow.variables import set_application_variable, set_channel_variable


def _values(**options: object) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=variable_name), values=fields.String(validate=plain_text),
        **options,
    )  # fmt: skip


class SetSchema(ModuleData):
    """Variables to set; ``export`` also sets them on the bridged leg."""

    custom_channel_vars = _values(load_default=dict)
    custom_application_vars = _values(load_default=dict)
    export = fields.Boolean(load_default=False)


class SetVariablesSchema(SetSchema):
    """Kazoo's callflows.set_variables: ``custom_application_vars`` is required."""

    custom_application_vars = _values(required=True)


class SetVariables(CommandModule):
    """Sets the variables, then continues to ``_``."""

    data_schema = SetSchema

    def send(self, ctx: NodeContext) -> None:
        export = ctx.data["export"]
        for name, value in sorted(ctx.data["custom_channel_vars"].items()):
            set_channel_variable(ctx, name, value, export=export)
        for name, value in sorted(ctx.data["custom_application_vars"].items()):
            set_application_variable(ctx, name, value, export=export)


class KazooSetVariables(SetVariables):
    """``set_variables``: Kazoo's name for the same, its data as Kazoo's schema has it."""

    data_schema = SetVariablesSchema
