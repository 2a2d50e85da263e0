"""Setting Kazoo's variable families on the call: custom channel variables
(``ecallmgr_<name>`` on the switch, ``ccvs`` on the record) and custom application
variables (``cav_<name>``, kept in the call's ``kvs``). Arbitrary FreeSWITCH variables
are out of reach on purpose: some of them run code on the switch (``api_hangup_hook``,
``execute_on_answer``...). Names and values are checked by the module schemas
(:func:`callflow.modules.fields.variable_name`, :func:`~callflow.modules.fields.plain_text`).
"""

from __future__ import annotations

from callflow.context import NodeContext


def _app(export: bool) -> str:
    """``export`` also sets the variable on the legs bridged later."""
    return "export" if export else "set"


def set_channel_variable(ctx: NodeContext, name: str, value: str, *, export: bool = False) -> str:
    """Set custom channel variable ``name``; returns the command id."""
    ctx.set_ccv(name, value)
    return ctx.execute(_app(export), f"ecallmgr_{name}={value}")


def set_application_variable(
    ctx: NodeContext, name: str, value: str, *, export: bool = False
) -> str:
    """Set custom application variable ``name``; returns the command id."""
    ctx.kvs_store(f"cav_{name}", value)
    return ctx.execute(_app(export), f"cav_{name}={value}")
