"""Soft deletes, as Kazoo's crossbar_doc does them: deleting a document through the API
marks it ``pvt_deleted: true`` (and stamps ``pvt_modified``) instead of removing it. Every
reader treats it as gone (not listed, 404, not routed); a system admin can restore it;
:func:`purge_deleted`, run by the housekeeping beat, removes it for good once it has been
deleted for longer than ``Settings.soft_delete_retention`` (Kazoo's kt_cleanup).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kazoo_tasks.docstore.base import Conflict, Document, DocumentStore, NotFound
from kazoo_tasks.docstore.naming import account_id_from_db

log = logging.getLogger(__name__)

DELETED = "pvt_deleted"


def is_deleted(doc: Mapping[str, Any]) -> bool:
    """Whether ``doc`` is soft-deleted."""
    return doc.get(DELETED) is True


def marked_deleted(doc: Mapping[str, Any], now: int) -> Document:
    """A copy of ``doc`` marked deleted at ``now`` (gregorian seconds)."""
    return {**doc, DELETED: True, "pvt_modified": now}


def restored(doc: Mapping[str, Any], now: int) -> Document:
    """A copy of a soft-deleted ``doc`` without the mark."""
    copy = {key: value for key, value in doc.items() if key != DELETED}
    copy["pvt_modified"] = now
    return copy


def purge_deleted(store: DocumentStore, older_than: int) -> int:
    """Remove every soft-deleted document of every account database whose last change
    (``pvt_modified``, the time of deletion) is before ``older_than`` (gregorian seconds);
    returns how many went. A document edited or restored meanwhile is left alone."""
    purged = 0
    for db in store.list_dbs():
        if account_id_from_db(db) is None:
            continue
        try:
            doomed = store.find(db, {DELETED: True, "pvt_modified": {"$lt": older_than}})
        except NotFound:  # the account was deleted meanwhile
            continue
        for doc in doomed:
            try:
                store.delete(db, doc["_id"], doc["_rev"])
                purged += 1
            except (Conflict, NotFound):
                log.info("purge: %s/%s changed meanwhile, left", db, doc["_id"])
    return purged
