"""Rules of conferences beyond their schema: a room's live participants on read."""

from __future__ import annotations

from typing import Any

from api.conferences.live import LiveConferences
from api.context import current
from api.documents import DocumentRules
from kazoo_tasks.docstore.base import Document


class ConferenceRules(DocumentRules):
    """Shows who is in the room (from the switch) under ``_read_only``, as Kazoo does."""

    def read_only(self, account_id: str, doc: Document) -> dict[str, Any] | None:
        context = current()
        live = LiveConferences(context.redis, context.settings, context.store)
        return live.summary(account_id, str(doc["_id"]))


RULES = ConferenceRules()
