"""Reading account documents from callflow modules, through the worker's cache.

A read is cached under the document it came from, so an edit (through the API or
straight into CouchDB) erases it as soon as the changes process announces it; a missing
or soft-deleted document reads as None. Cached documents are shared: read them, never
change them.
"""

from __future__ import annotations

from kazoo_tasks.cache import Cache, origins
from kazoo_tasks.docstore import DocumentStore, NotFound
from kazoo_tasks.docstore.base import Document
from kazoo_tasks.docstore.soft_delete import is_deleted


def read_document(
    store: DocumentStore, db: str, doc_id: str, cache: Cache | None = None
) -> Document | None:
    """Document ``doc_id`` of database ``db``, or None (missing, or soft-deleted)."""

    def build() -> Document | None:
        try:
            doc = store.get(db, doc_id)
        except NotFound:
            return None
        return None if is_deleted(doc) else doc

    if cache is None:
        return build()
    return cache.get_or_build(("doc", db, doc_id), build, origins=[origins.doc(db, doc_id)])
