"""Rules of callflows beyond their schema: numbers and patterns are unique in the account
(a number must route to one callflow), and a DID belongs to one account system-wide.

The DIDs of a callflow (:func:`callflow.router.is_did`) are claimed in the system
``numbers`` database BEFORE the callflow is saved: a claim is a document whose id is the
number, created only if absent, which the back end (CouchDB, or the embedded store's
transaction) lets exactly one writer create. So when two accounts save the same DID at the
same moment, one claim is created, the other account gets a 400 ``unique`` naming the
number, and its callflow is not saved. A save that fails after the claim gives the new
numbers back; numbers the callflow drops, or all of them when it is deleted, are released.
Extensions (short numbers) stay private to each account. The tree itself is checked by
the schema, module by module (schemas.callflows)."""

from __future__ import annotations

import uuid

from api.documents import Document, DocumentRules
from api.errors import field_error
from callflow.router import claim_numbers, release_numbers
from kazoo_tasks.docstore import DocumentStore
from kazoo_tasks.docstore.soft_delete import is_deleted


def _numbers(doc: Document | None) -> list[str]:
    return [str(n) for n in (doc or {}).get("numbers") or []]


class Rules(DocumentRules):
    """Each number and pattern belongs to one callflow of the account; each DID to one
    account."""

    unique = ("numbers", "patterns")

    def prepare(
        self, store: DocumentStore, account_id: str, doc: Document, existing: Document | None
    ) -> Document:
        callflow_id = existing["_id"] if existing else doc.setdefault("_id", uuid.uuid4().hex)
        claim = claim_numbers(store, account_id, callflow_id, _numbers(doc))
        if claim.taken:
            held = _numbers(existing) if existing and not is_deleted(existing) else []
            release_numbers(
                store, account_id, callflow_id, [n for n in claim.claimed if n not in held]
            )
            number = sorted(claim.taken)[0]
            raise field_error(
                "numbers", "unique", f"numbers {number} belongs to another account", cause=number
            )
        return doc

    def save_failed(
        self, store: DocumentStore, account_id: str, doc: Document, existing: Document | None
    ) -> None:
        held = _numbers(existing) if existing and not is_deleted(existing) else []
        new = [n for n in _numbers(doc) if n not in held]
        release_numbers(store, account_id, doc["_id"], new)

    def after_save(
        self, store: DocumentStore, account_id: str, saved: Document, previous: Document | None
    ) -> None:
        if previous is not None:
            kept = _numbers(saved)
            gone = [n for n in _numbers(previous) if n not in kept]
            release_numbers(store, account_id, saved["_id"], gone)

    def after_delete(self, store: DocumentStore, account_id: str, deleted: Document) -> None:
        release_numbers(store, account_id, deleted["_id"], _numbers(deleted))


RULES = Rules()
