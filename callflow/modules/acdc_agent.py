"""``acdc_agent``: an agent logs in, logs out, pauses or resumes from its phone by dialing
a feature code (Kazoo's cf_acdc_agent).

The agent is the owner of the calling device (``Owner-ID``); a device with no owner hears
"not a call center agent". ``action`` is ``login``, ``logout``, ``paused`` (for
``timeout`` seconds, else the default pause) or ``resume``; without one the call toggles
(logged out: log in; else log out). Logging in joins the queues of the user's
``queues``. The agent hears the result, then the flow continues to ``_``.
"""

from __future__ import annotations

from marshmallow import fields, validate

from acdc.agent import LOGGED_OUT
from acdc.service import KAZOO_ACTIONS, act
from acdc.tasks import DISTRIBUTE_TASK
from callflow.acdc import center
from callflow.context import NodeContext
from callflow.module import CommandModule, ModuleData
from callflow.prompts import prompt

PROMPTS = {
    "login": "agent-logged_in",
    "logout": "agent-logged_out",
    "pause": "agent-pause",
    "resume": "agent-resume",
}


class AcdcAgentSchema(ModuleData):
    """Kazoo's callflows.acdc_agent data (presence keys accepted, not used)."""

    action = fields.String(validate=validate.OneOf(sorted(KAZOO_ACTIONS)))
    presence_id = fields.String()
    presence_state = fields.String()
    timeout = fields.Integer(validate=validate.Range(min=0))


class AcdcAgent(CommandModule):
    """Changes the calling agent's status, then says so."""

    data_schema = AcdcAgentSchema

    def send(self, ctx: NodeContext) -> None:
        if not ctx.call["answered"]:
            ctx.execute("answer")
        agent_id = str(ctx.call["ccvs"].get("Owner-ID") or "")
        user = ctx.document(agent_id) if agent_id else None
        if user is None or user.get("pvt_type") != "user":
            ctx.note("the calling device has no owner: not an agent")
            self._say(ctx, "agent-not_call_center_agent")
            return
        queues = center(ctx).queues
        action = KAZOO_ACTIONS.get(ctx.data.get("action") or "")
        if action is None:
            toggled = queues.agents.status(agent_id)["state"] == LOGGED_OUT
            action = "login" if toggled else "logout"
        done = act(queues, agent_id, action, user, timeout=ctx.data.get("timeout"))
        ctx.note(
            f"agent {agent_id}: {action} -> {done.state}"
            + ("" if done.transition.ok else f" ({done.transition.reason})")
        )
        if done.queues:
            ctx.send_task(DISTRIBUTE_TASK, [str(ctx.call["account_id"]), sorted(done.queues)])
        self._say(ctx, PROMPTS[action] if done.transition.ok else "agent-invalid")

    def _say(self, ctx: NodeContext, name: str) -> None:
        sound = prompt(name)
        if sound:
            ctx.execute("playback", sound)
