"""Rules of devices beyond their schema."""

from __future__ import annotations

from api.documents import DocumentRules


class Rules(DocumentRules):
    """SIP usernames are unique in the account (a phone registers with one)."""

    unique = ("sip.username",)


RULES = Rules()
