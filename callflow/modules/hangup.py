"""``hangup``: hang the call up, whatever flows it branched from."""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import HardStop, Outcome
from kazoo_tasks.commands import HANGUP_CAUSE_PATTERN


class HangupSchema(ModuleData):
    """The hangup cause (FreeSWITCH's name, NORMAL_CLEARING by default)."""

    hangup_cause = fields.String(
        load_default="NORMAL_CLEARING", validate=validate.Regexp(HANGUP_CAUSE_PATTERN)
    )


class Hangup(CallflowModule):
    """Sends the hangup and hard-stops the flow."""

    data_schema = HangupSchema

    def start(self, ctx: NodeContext) -> Outcome:
        ctx.hangup(ctx.data["hangup_cause"])
        return HardStop()
