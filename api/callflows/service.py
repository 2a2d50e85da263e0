"""Rules of callflows beyond their schema: numbers and patterns are unique in the account
(a number must route to one callflow). The tree itself is checked by the schema, module by
module (schemas.callflows)."""

from __future__ import annotations

from api.documents import DocumentRules


class Rules(DocumentRules):
    """Each number and each pattern belongs to one callflow of the account."""

    unique = ("numbers", "patterns")


RULES = Rules()
