"""``wait_digit``: waits for one DTMF digit or a timeout, with the timer API itself.

Continues to the child named by the digit (else ``_``) or to ``timeout``. Leaving the
node disarms the timer, so a digit that comes first leaves nothing to fire.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from callflow.context import NodeContext
from callflow.module import CallflowModule
from callflow.outcomes import Continue, Outcome, Wait
from kazoo_tasks.events import CallEvent


class WaitDigitSchema(Schema):
    """How long to wait, in seconds."""

    timeout = fields.Float(load_default=5.0, validate=validate.Range(min=0.01, max=3600))


class WaitDigit(CallflowModule):
    """One digit, or ``timeout`` seconds without one."""

    data_schema = WaitDigitSchema

    def start(self, ctx: NodeContext) -> Outcome:
        ctx.start_timer(ctx.data["timeout"], name="no_digit")
        return Wait()

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        if ctx.timer_fired(event) == "no_digit":
            return Continue("timeout")
        if event["name"] == "DTMF":
            return Continue(event.get("dtmf_digit", ""))
        return Wait()
