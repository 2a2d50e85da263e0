"""Lists and their entries: a list's entries are documents of their own (``list_entry``,
with the ``list_id``), reached under the list's URL; deleting a list deletes its entries;
an entry's ``pattern`` must compile."""

from __future__ import annotations

from typing import Any

from flask import g

from api.documents import Document, DocumentRules, DocumentService
from api.errors import NotFoundError, ValidationFailed
from callflow.carriers import compile_rule
from callflow.match_lists import entries_of
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.docstore.soft_delete import marked_deleted


def delete_entries(store: DocumentStore, account_id: str, list_id: str) -> list[str]:
    """Soft-delete every entry of a list; their ids."""
    now = now_gregorian()
    deleted = []
    for entry in entries_of(store, account_id, list_id):
        store.save(account_db(account_id), marked_deleted(entry, now))
        deleted.append(entry["_id"])
    return deleted


class ListRules(DocumentRules):
    """A list takes its entries with it."""

    def after_delete(self, store: DocumentStore, account_id: str, deleted: Document) -> None:
        delete_entries(store, account_id, deleted["_id"])


class EntryRules(DocumentRules):
    """A pattern that does not compile would never match: 400."""

    def prepare(
        self, store: DocumentStore, account_id: str, doc: Document, existing: Document | None
    ) -> Document:
        if doc.get("pattern"):
            try:
                compile_rule(doc["pattern"])
            except ValueError as error:
                raise ValidationFailed({"pattern": {"pattern": {"message": str(error)}}}) from None
        return doc


RULES = ListRules()


class ListEntries(DocumentService):
    """The entries of the list the request names (``g.list_id``, set by the routes once
    they found the list)."""

    def _selector(self, account_id: str) -> Document:
        return {**super()._selector(account_id), "list_id": g.list_id}

    def _stored(self, account_id: str, doc_id: str) -> Document:
        doc = super()._stored(account_id, doc_id)
        if doc.get("list_id") != g.list_id:
            raise NotFoundError({"message": "bad identifier", "cause": doc_id})
        return doc

    @staticmethod
    def _in_list(data: Any) -> Any:
        return {**data, "list_id": g.list_id} if isinstance(data, dict) else data

    def create(self, account_id: str, data: Any) -> Document:
        return super().create(account_id, self._in_list(data))

    def replace(self, account_id: str, doc_id: str, data: Any, *args: Any, **kw: Any) -> Document:
        return super().replace(account_id, doc_id, self._in_list(data), *args, **kw)

    def patch(self, account_id: str, doc_id: str, data: Any, *args: Any, **kw: Any) -> Document:
        return super().patch(account_id, doc_id, self._in_list(data), *args, **kw)
