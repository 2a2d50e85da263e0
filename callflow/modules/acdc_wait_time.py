"""``acdc_wait_time``: branch on how long the queue's callers waited lately (Kazoo's
cf_acdc_wait_time).

The average wait of the callers of queue ``id`` connected in the last ``window`` seconds
(default: the day kept) is compared with the node's children, whose keys are seconds
(``"60"``, ``"300"``): the flow takes the highest key the average exceeds, else ``_``.
"""

from __future__ import annotations

from marshmallow import fields, validate

from callflow.acdc import center
from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome


class AcdcWaitTimeSchema(ModuleData):
    """Kazoo's callflows.acdc_wait_time data."""

    id = fields.String(metadata={"description": "the queue"})
    window = fields.Integer(validate=validate.Range(min=1))


class AcdcWaitTime(CallflowModule):
    """Takes the child of the highest threshold the average wait exceeds."""

    data_schema = AcdcWaitTimeSchema

    def start(self, ctx: NodeContext) -> Outcome:
        queue_id = ctx.data.get("id") or ""
        average = center(ctx).queues.average_wait(queue_id, ctx.data.get("window"))
        exceeded = [int(k) for k in ctx.child_keys() if k.isdigit() and average > int(k)]
        ctx.note(f"queue {queue_id}: average wait {average:.0f} s")
        return Continue(str(max(exceeded))) if exceeded else Continue()
