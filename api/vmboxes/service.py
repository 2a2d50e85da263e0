"""Rules of vmboxes beyond their schema."""

from __future__ import annotations

from api.documents import DocumentRules


class Rules(DocumentRules):
    """Mailbox numbers are unique in the account."""

    unique = ("mailbox",)


RULES = Rules()
