"""The document-store interface every back end implements.

Semantics follow CouchDB, because production runs on CouchDB:

* a document is a JSON object with ``_id`` and ``_rev``; saving a document whose ``_rev``
  is not the current one (or saving without ``_rev`` over an existing id) raises
  :class:`Conflict`; a successful save returns the document with its new ``_rev``;
* ids starting with ``_design/`` are design documents and are never returned by
  :meth:`DocumentStore.all_docs` or :meth:`DocumentStore.find`;
* each database has a change feed (:meth:`DocumentStore.changes` says what order it
  keeps); ``since`` and ``last_seq`` are opaque strings (pass back what you were given),
  ``"0"`` means "from the beginning" and ``"now"`` means "only what happens from now on".
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

Document = dict[str, Any]


D = TypeVar("D", bound=Mapping[str, Any])
"""A document as some caller holds it (a mapping, or the checked copy)."""


def save_each(docs: Iterable[D], save: Callable[[D], Document]) -> list[Document | Conflict]:
    """``save`` each of ``docs`` in turn; for each, its saved form or the :class:`Conflict`
    that refused it (the others are saved all the same): :meth:`DocumentStore.save_many`'s
    answer."""
    saved: list[Document | Conflict] = []
    for doc in docs:
        try:
            saved.append(save(doc))
        except Conflict as refused:
            saved.append(refused)
    return saved


class DocumentStoreError(Exception):
    """Base of every document-store error."""


class NotFound(DocumentStoreError):
    """The document, attachment or database does not exist (HTTP 404)."""


class DatabaseNotFound(NotFound):
    """The database does not exist."""


class Conflict(DocumentStoreError):
    """The revision given is not the current one (HTTP 409)."""


class Unavailable(DocumentStoreError):
    """The back end cannot be reached right now; retrying later may work."""


class InvalidRequest(DocumentStoreError, ValueError):
    """Bad input: a malformed document, database name, selector or attachment (HTTP 400)."""


@dataclass(frozen=True)
class Attachment:
    """An attachment's bytes and content type."""

    data: bytes
    content_type: str


@dataclass(frozen=True)
class Change:
    """One entry of a change feed."""

    id: str
    seq: str
    rev: str
    deleted: bool = False
    doc: Document | None = None


@dataclass(frozen=True)
class ChangesPage:
    """What one read of a change feed returned."""

    results: list[Change] = field(default_factory=list)
    last_seq: str = "0"


@dataclass(frozen=True)
class DbUpdate:
    """One entry of the feed of database events: ``type`` is created, updated or deleted."""

    db: str
    type: str
    seq: str


@dataclass(frozen=True)
class DbUpdatesPage:
    """What one read of the database-events feed returned."""

    results: list[DbUpdate] = field(default_factory=list)
    last_seq: str = "0"


class DocumentStore(abc.ABC):
    """Databases of JSON documents with revisions, attachments and change feeds."""

    # -- databases -------------------------------------------------------------------

    @abc.abstractmethod
    def ensure_db(self, db: str) -> bool:
        """Create the database if missing; True when it was created by this call."""

    @abc.abstractmethod
    def delete_db(self, db: str) -> None:
        """Delete a database and everything in it (DatabaseNotFound if missing)."""

    @abc.abstractmethod
    def db_exists(self, db: str) -> bool:
        """Whether the database exists."""

    @abc.abstractmethod
    def list_dbs(self) -> list[str]:
        """Names of every database, sorted."""

    # -- documents -------------------------------------------------------------------

    @abc.abstractmethod
    def get(self, db: str, doc_id: str) -> Document:
        """The current revision of a document (NotFound if missing or deleted)."""

    @abc.abstractmethod
    def save(self, db: str, doc: Mapping[str, Any]) -> Document:
        """Create or update a document; returns it with ``_id`` and the new ``_rev``.

        A missing ``_id`` is generated (32 hex characters). Raises Conflict when the
        ``_rev`` is stale, or absent while the id exists.
        """

    def save_many(self, db: str, docs: Sequence[Mapping[str, Any]]) -> list[Document | Conflict]:
        """Save several documents of ``db`` as :meth:`save` does each; for each, in order,
        the saved document or the :class:`Conflict` that refused it (returned, not raised:
        the others are saved all the same). Not atomic. Back ends that can do it in one
        request or transaction do (CouchDB's ``_bulk_docs``); this one saves in turn."""
        return save_each(docs, lambda doc: self.save(db, doc))

    @abc.abstractmethod
    def delete(self, db: str, doc_id: str, rev: str) -> str:
        """Delete a document at revision ``rev``; returns the tombstone's revision.

        The tombstone keeps the document's ``pvt_type`` (as Kazoo's deletes do), so that
        change-feed readers can still tell what kind of document went away.
        """

    @abc.abstractmethod
    def all_docs(
        self,
        db: str,
        *,
        start_key: str | None = None,
        end_key: str | None = None,
        limit: int | None = None,
    ) -> list[Document]:
        """Documents ordered by id, ``start_key <= _id <= end_key`` (design docs excluded)."""

    @abc.abstractmethod
    def find(
        self,
        db: str,
        selector: Mapping[str, Any],
        *,
        limit: int | None = None,
        skip: int = 0,
        sort: Sequence[str] | None = None,
    ) -> list[Document]:
        """Documents matching a Mango selector, ordered by ``sort`` fields (default: id).

        Supported operators: equality, ``$eq``, ``$ne``, ``$gt``, ``$gte``, ``$lt``,
        ``$lte``, ``$in``, ``$nin``, ``$exists``, ``$elemMatch``, ``$and``, ``$or``,
        ``$not``, ``$nor``, and dotted field paths. As in CouchDB, a condition on a missing
        field is false (except ``$exists: false``), under ``$not``/``$nor`` too: those are
        pushed down to the field conditions first.
        """

    # -- attachments -------------------------------------------------------------------

    @abc.abstractmethod
    def put_attachment(
        self, db: str, doc_id: str, name: str, data: bytes, content_type: str, rev: str
    ) -> str:
        """Attach bytes to a document at revision ``rev``; returns the new revision."""

    @abc.abstractmethod
    def get_attachment(self, db: str, doc_id: str, name: str) -> Attachment:
        """An attachment's bytes (NotFound if missing)."""

    @abc.abstractmethod
    def delete_attachment(self, db: str, doc_id: str, name: str, rev: str) -> str:
        """Remove an attachment; returns the new revision."""

    # -- change feed -------------------------------------------------------------------

    @abc.abstractmethod
    def changes(
        self,
        db: str,
        since: str = "0",
        *,
        timeout: float = 0.0,
        limit: int | None = None,
        include_docs: bool = False,
    ) -> ChangesPage:
        """Changes after ``since``; with ``timeout`` > 0, wait up to that many seconds
        for at least one change (long poll) before returning an empty page.

        Each document appears at most once per page, at its latest revision. Order:

        * per document, always: its changes come in the order of its revisions, and
          reads chained by ``last_seq`` see every change;
        * across documents, write order only on a database of one shard: every database
          of the embedded store, and account databases on CouchDB (created with ``q=1``).
          A CouchDB database of several shards (the server's ``[cluster] q``, 2 by
          default) interleaves its shards' feeds.

        On a CouchDB cluster a read may repeat changes already returned (a shard copy
        that went away makes its feed restart from an earlier point); it never skips one.
        """

    @abc.abstractmethod
    def db_updates(self, since: str = "0", *, timeout: float = 0.0) -> DbUpdatesPage:
        """Databases created, updated or deleted after ``since`` (CouchDB's ``_db_updates``):
        the latest event of each database, in feed order; ``timeout`` > 0 long-polls.

        This is how a follower of every database learns which ones to read without
        polling them all. ``"now"`` and ``"0"`` work as in :meth:`changes`.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, most back ends hold nothing
        """Release connections held by the back end."""
