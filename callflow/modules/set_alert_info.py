"""``set_alert_info``: the ``Alert-Info`` header of the legs rung later, for a distinctive
ring (Kazoo's cf_set_alert_info).

The value is exported on the caller's channel as ``alert_info`` (what mod_sofia puts in
the ``Alert-Info`` header of the INVITEs of the legs the channel originates) and as Kazoo's
custom channel variable ``Alert_info`` (``ecallmgr_Alert_info``: the B legs' CDRs show
it). Then ``_``.
"""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData
from callflow.modules.fields import plain_text
from callflow.variables import set_channel_variable

ALERT_INFO_CCV = "Alert_info"
"""Kazoo's custom channel variable for it."""


class SetAlertInfoSchema(ModuleData):
    """Kazoo's callflows.set_alert_info data."""

    alert_info = fields.String(
        required=True,
        validate=[plain_text, validate.Length(min=1, max=256)],
        metadata={"description": "the Alert-Info value (`<http://x>;info=alert-internal`...)"},
    )


class SetAlertInfo(CommandModule):
    """Exports the Alert-Info for later legs, then continues to ``_``."""

    data_schema = SetAlertInfoSchema

    def send(self, ctx: NodeContext) -> None:
        value = ctx.data["alert_info"]
        ctx.execute("export", f"alert_info={value}")
        set_channel_variable(ctx, ALERT_INFO_CCV, value, export=True)
