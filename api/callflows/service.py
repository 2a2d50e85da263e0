"""Rules of callflows beyond their schema: numbers and patterns are unique in the account
(a number must route to one callflow), and a DID belongs to one account system-wide.

The DIDs of a callflow (:func:`callflow.router.is_did`) are claimed in the system
``numbers`` database when it is saved and released when it loses them or is deleted, so
a call that carries no account (from a carrier) finds its account there. A DID another
account holds is refused with a ``unique`` error naming it. Extensions (short numbers)
stay private to each account. The tree itself is checked by the schema, module by module
(schemas.callflows)."""

from __future__ import annotations

import logging

from api.documents import Document, DocumentRules
from api.errors import field_error
from callflow.router import claim_numbers, claimed_elsewhere, release_numbers
from kazoo_tasks.docstore import DocumentStore

log = logging.getLogger(__name__)


class Rules(DocumentRules):
    """Each number and pattern belongs to one callflow of the account; each DID to one
    account."""

    unique = ("numbers", "patterns")

    def prepare(
        self, store: DocumentStore, account_id: str, doc: Document, existing: Document | None
    ) -> Document:
        taken = claimed_elsewhere(store, account_id, doc.get("numbers") or [])
        if taken:
            raise field_error(
                "numbers",
                "unique",
                f"numbers {taken[0]} belongs to another account",
                cause=taken[0],
            )
        return doc

    def after_save(
        self, store: DocumentStore, account_id: str, saved: Document, previous: Document | None
    ) -> None:
        numbers = saved.get("numbers") or []
        claim = claim_numbers(store, account_id, saved["_id"], numbers)
        if claim.taken:  # another account claimed them between our check and our save
            log.warning("callflow %s: numbers held elsewhere: %s", saved["_id"], claim.taken)
        if previous is not None:
            gone = [n for n in previous.get("numbers") or [] if n not in numbers]
            release_numbers(store, account_id, saved["_id"], gone)

    def after_delete(self, store: DocumentStore, account_id: str, deleted: Document) -> None:
        release_numbers(store, account_id, deleted["_id"], deleted.get("numbers") or [])


RULES = Rules()
