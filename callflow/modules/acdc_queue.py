"""``acdc_queue``: the calling agent joins (``login``) or leaves (``logout``) one queue
for now (Kazoo's cf_acdc_queue); the flow continues to ``_``.

The agent is the owner of the calling device; its user document is not changed (the
``queues`` it logs into with ``acdc_agent`` stay as they are).
"""

from __future__ import annotations

from marshmallow import fields, validate

from acdc.tasks import DISTRIBUTE_TASK
from callflow.acdc import center
from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome


class AcdcQueueSchema(ModuleData):
    """Kazoo's callflows.acdc_queue data."""

    action = fields.String(load_default="login", validate=validate.OneOf(["login", "logout"]))
    id = fields.String(metadata={"description": "the queue"})


class AcdcQueue(CallflowModule):
    """Adds the calling agent to the queue's roster, or takes it out."""

    data_schema = AcdcQueueSchema

    def start(self, ctx: NodeContext) -> Outcome:
        agent_id = str(ctx.call["ccvs"].get("Owner-ID") or "")
        queue_id = ctx.data.get("id") or ""
        if not agent_id or ctx.document(queue_id) is None:
            ctx.note(f"no agent ({agent_id or 'no owner'}) or no queue {queue_id!r}")
            return Continue()
        queues = center(ctx).queues
        if ctx.data["action"] == "login":
            queues.join(queue_id, agent_id)
        else:
            queues.part(queue_id, agent_id)
        ctx.note(f"agent {agent_id} {ctx.data['action']} queue {queue_id}")
        ctx.send_task(DISTRIBUTE_TASK, [str(ctx.call["account_id"]), [queue_id]])
        return Continue()
