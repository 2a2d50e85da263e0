"""Documents whose audio the switch is recording: a voicemail message, a greeting, a call
recording.

The switch uploads a recording when it ends, and the API stores it as an attachment of a
document that must exist by then (:mod:`callflow.media`, ``recording_target``). So the
document is written *before* the recording starts, **pending**: soft-deleted
(``pvt_deleted``), which every reader treats as absent, and marked ``pvt_recording:
"pending"``. Once the module knows the recording is worth keeping it **keeps** it (the
marks go, its final fields are set); otherwise it **discards** it (it stays deleted, with
the reason in ``pvt_recording``), and the housekeeping purge removes it and its audio
after the soft-delete retention. Whichever comes first, the upload or the decision, the
other finds the document: no upload waits for a document that never comes, no document
is shown before it is complete.

Writes are idempotent (a step may run again after a worker died): creating a document
that exists returns it, keeping a kept document changes nothing, and both retry when the
document changed under them (the upload adding its attachment).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kazoo_tasks.clock import to_gregorian
from kazoo_tasks.docstore import Conflict, DocumentStore, NotFound
from kazoo_tasks.docstore.soft_delete import DELETED

MARK = "pvt_recording"
PENDING = "pending"
WRITE_TRIES = 10

Document = dict[str, Any]


def pending_document(doc: Mapping[str, Any]) -> Document:
    """``doc`` marked pending (invisible until kept)."""
    return {**doc, DELETED: True, MARK: PENDING}


def create_pending(store: DocumentStore, db: str, doc: Mapping[str, Any]) -> Document:
    """Write ``doc`` (which has its ``_id``) pending; the stored one if it exists already."""
    try:
        return store.save(db, pending_document(doc))
    except Conflict:
        return store.get(db, str(doc["_id"]))


def _update(
    store: DocumentStore, db: str, doc_id: str, change: Callable[[Document], Document | None]
) -> Document | None:
    """Read, change and save ``doc_id`` until no one changed it meanwhile; None when it
    does not exist or ``change`` returns None (nothing to do)."""
    for _ in range(WRITE_TRIES):
        try:
            doc = store.get(db, doc_id)
        except NotFound:
            return None
        changed = change(doc)
        if changed is None:
            return doc
        try:
            return store.save(db, changed)
        except Conflict:
            continue
    raise Conflict(f"{db}/{doc_id} kept changing")


def keep(
    store: DocumentStore, db: str, doc_id: str, fields: Mapping[str, Any], now: float
) -> Document | None:
    """Make a pending document visible with ``fields`` merged in (top-level keys; a dict
    value is merged one level down). Nothing happens to one already kept or discarded."""

    def change(doc: Document) -> Document | None:
        if doc.get(MARK) != PENDING:
            return None
        kept = {k: v for k, v in doc.items() if k not in (DELETED, MARK)}
        for key, value in fields.items():
            if isinstance(value, Mapping) and isinstance(kept.get(key), Mapping):
                kept[key] = {**kept[key], **value}
            else:
                kept[key] = value
        kept["pvt_modified"] = to_gregorian(now)
        return kept

    return _update(store, db, doc_id, change)


def discard(store: DocumentStore, db: str, doc_id: str, reason: str, now: float) -> None:
    """Delete a pending or kept document for good, saying why (``too_short``,
    ``replaced``...); one discarded already stays as it is."""

    def change(doc: Document) -> Document | None:
        if doc.get(DELETED) is True and doc.get(MARK) != PENDING:
            return None
        return {**doc, DELETED: True, MARK: reason, "pvt_modified": to_gregorian(now)}

    _update(store, db, doc_id, change)


def update(
    store: DocumentStore, db: str, doc_id: str, fields: Mapping[str, Any], now: float
) -> Document | None:
    """Set top-level ``fields`` of a document (None if it does not exist)."""

    def change(doc: Document) -> Document | None:
        if all(doc.get(k) == v for k, v in fields.items()):
            return None
        return {**doc, **fields, "pvt_modified": to_gregorian(now)}

    return _update(store, db, doc_id, change)
