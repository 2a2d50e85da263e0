"""Rules of conferences beyond their schema: a running room's participants on read."""

from __future__ import annotations

from typing import Any

from api.conferences.live import LiveConferences
from api.context import current
from api.documents import DocumentRules
from kazoo_tasks.docstore.base import Document


class ConferenceRules(DocumentRules):
    """Shows who is in a running room (from the switch) under ``_read_only``, as Kazoo
    does "if available": a room nobody is in shows none."""

    def read_only(self, account_id: str, doc: Document) -> dict[str, Any] | None:
        context = current()
        live = LiveConferences(context.redis, context.settings, context.store)
        summary = live.summary(account_id, str(doc["_id"]))
        return summary if summary["participants"] else None


RULES = ConferenceRules()
