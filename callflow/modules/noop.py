"""``noop``: does nothing and continues to ``_`` (Kazoo's cf_noop; a placeholder node)."""

from __future__ import annotations

from callflow.context import NodeContext
from callflow.module import CallflowModule
from callflow.outcomes import Continue, Outcome


class Noop(CallflowModule):
    """Continues to ``_``."""

    def start(self, ctx: NodeContext) -> Outcome:
        return Continue()
