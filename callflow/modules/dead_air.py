"""``dead_air``: answer and send the caller nothing from now on (Kazoo's cf_dead_air: "answers
the call and switches media off", e.g. for recording an external call or conference over
the inbound leg). As Kazoo does, it answers, mutes what the switch sends to the caller
(``uuid_audio <call> start write mute -4``: the caller's microphone still reaches the
switch, so a recording keeps it) and holds the call until someone hangs up; the flow
goes no further. No children."""

from __future__ import annotations

from callflow.context import NodeContext
from callflow.module import CallflowModule
from callflow.outcomes import Outcome, Wait
from kazoo_tasks.events import CallEvent

MUTE_WHAT_THE_CALLER_HEARS = "start write mute -4"
"""Kazoo's ``audio_level`` (mode write, action start, level -4), as ecallmgr sends it."""


class DeadAir(CallflowModule):
    """Answers, mutes the caller's side, then waits for the hangup."""

    def start(self, ctx: NodeContext) -> Outcome:
        if ctx.call["answered"]:
            return self._mute(ctx)
        ctx.state["answer"] = ctx.execute("answer")
        return Wait()

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        command = ctx.completed(event)
        if command is None:
            return Wait()
        if event["name"] == "COMMAND_ERROR":
            ctx.note(f"refused: {event.get('application_response', '')}")
        if command == ctx.state.get("answer"):
            return self._mute(ctx)
        return Wait()

    def _mute(self, ctx: NodeContext) -> Outcome:
        ctx.state["mute"] = ctx.api("uuid_audio", MUTE_WHAT_THE_CALLER_HEARS)
        ctx.note("answered; nothing is sent to the caller until the call ends")
        return Wait()
