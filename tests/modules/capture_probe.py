"""``capture_probe``: keeps what the call's number pattern captured in the CDR's custom
channel variables (``captured``, and ``captured_<name>`` for named groups), then goes on:
a test's window on ``ctx.call["capture_group"]``."""

from __future__ import annotations

from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome


class CaptureProbe(CallflowModule):
    """Copies the capture groups into ccvs; continues to ``_``."""

    data_schema = ModuleData

    def start(self, ctx: NodeContext) -> Outcome:
        ctx.set_ccv("captured", str(ctx.call["capture_group"]))
        for name, value in ctx.call["capture_groups"].items():
            ctx.set_ccv(f"captured_{name}", value)
        return Continue()
