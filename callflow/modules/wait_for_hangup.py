"""``wait_for_hangup``: hold the call as it is until someone hangs up (Kazoo's
cf_wait_for_hangup); no command, no worker waits."""

from __future__ import annotations

from callflow.context import NodeContext
from callflow.module import CallflowModule
from callflow.outcomes import Outcome, Wait
from kazoo_tasks.events import CallEvent


class WaitForHangup(CallflowModule):
    """Waits; the call's hangup ends it."""

    def start(self, ctx: NodeContext) -> Outcome:
        return Wait()

    def on_event(self, ctx: NodeContext, event: CallEvent) -> Outcome:
        return Wait()
