"""``sleep``: pause the callflow (the switch sleeps; no worker waits)."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData

UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
MAX_MS = 86_400_000


class SleepSchema(ModuleData):
    """Kazoo's sleep data: ``duration`` in ``unit`` (capped at one day)."""

    duration = fields.Integer(load_default=0, validate=validate.Range(min=0))
    unit = fields.String(load_default="s", validate=validate.OneOf(tuple(UNIT_MS)))


class Sleep(CommandModule):
    """Sleeps, then continues to ``_``."""

    data_schema = SleepSchema

    def send(self, ctx: NodeContext) -> None:
        millis = min(ctx.data["duration"] * UNIT_MS[ctx.data["unit"]], MAX_MS)
        if millis:
            ctx.execute("sleep", str(millis))
