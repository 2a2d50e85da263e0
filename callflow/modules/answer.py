"""``answer``: answer the call (nothing to do when it is answered already)."""

from __future__ import annotations

from callflow.context import NodeContext
from callflow.module import CommandModule


class Answer(CommandModule):
    """Answers the channel, then continues to ``_``."""

    def send(self, ctx: NodeContext) -> None:
        if not ctx.call["answered"]:
            ctx.execute("answer")
