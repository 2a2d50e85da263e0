"""``set``: set custom channel / application variables on the call (Kazoo's set_variables).

Only Kazoo's own variable families can be set: custom channel variables become
``ecallmgr_<name>`` and custom application variables ``cav_<name>``. Arbitrary FreeSWITCH
variables are out of reach on purpose: some of them run code on the switch
(``api_hangup_hook``, ``execute_on_answer``...).
"""

from __future__ import annotations

from marshmallow import fields

from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData
from callflow.modules.fields import plain_text, variable_name


def _values() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=variable_name),
        values=fields.String(validate=plain_text),
        load_default=dict,
    )


class SetSchema(ModuleData):
    """Variables to set; ``export`` also sets them on the bridged leg."""

    custom_channel_vars = _values()
    custom_application_vars = _values()
    export = fields.Boolean(load_default=False)


class SetVariables(CommandModule):
    """Sets the variables, then continues to ``_``."""

    data_schema = SetSchema

    def send(self, ctx: NodeContext) -> None:
        app = "export" if ctx.data["export"] else "set"
        for name, value in sorted(ctx.data["custom_channel_vars"].items()):
            ctx.execute(app, f"ecallmgr_{name}={value}")
            ctx.set_ccv(name, value)
        for name, value in sorted(ctx.data["custom_application_vars"].items()):
            ctx.execute(app, f"cav_{name}={value}")
            ctx.kvs_store(f"cav_{name}", value)
