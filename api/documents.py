"""The generic document service behind every CRUD resource: validate with the resource's
marshmallow schema, stamp the private fields, check uniqueness and revisions, store, then
let the resource update what depends on the document elsewhere. Deletes are soft, as in
Kazoo (:mod:`kazoo_tasks.docstore.soft_delete`): a deleted document is 404 and unlisted
until a system admin restores it or the housekeeping purge removes it.

One :class:`DocumentService` per resource, parameterized by a :class:`ResourceSpec`
(schema, ``pvt_type``, list summary, rules); resources only add what is theirs through
:class:`DocumentRules`: ``prepare`` before a save (callflows claim their numbers there),
``save_failed`` when the save does not happen, ``after_save`` / ``after_delete`` once it
is done (callflows release numbers there).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError

from api.errors import NotFoundError, RevisionConflict, ValidationFailed
from api.listing import ListQuery, Page, as_query_value, list_documents, value_at
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import Conflict, DocumentStore, NotFound, account_db
from kazoo_tasks.docstore.soft_delete import is_deleted, marked_deleted, restored
from schemas.base import DocumentSchema, is_client_key, is_reserved_key
from schemas.errors import kazoo_errors

Document = dict[str, Any]
SCHEMA_VERSION = "1"
DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
"""Ids clients may name (never CouchDB's ``_design/...`` or ``_all_docs``)."""


class DocumentRules:
    """Per-resource rules around the generic service (override what a resource needs)."""

    unique: tuple[str, ...] = ()
    """Dot paths whose values (each element, for lists) are unique within the account."""

    def prepare(
        self, store: DocumentStore, account_id: str, doc: Document, existing: Document | None
    ) -> Document:
        """Last changes to a validated document before it is saved (may raise ApiError)."""
        return doc

    def after_save(
        self, store: DocumentStore, account_id: str, saved: Document, previous: Document | None
    ) -> None:
        """What else must change once ``saved`` is stored (``previous``: the version it
        replaced, None when it was created): indexes in other databases and the like."""

    def save_failed(
        self, store: DocumentStore, account_id: str, doc: Document, existing: Document | None
    ) -> None:
        """Undo what ``prepare`` took for ``doc`` when its save failed (a conflict...)."""

    def after_delete(self, store: DocumentStore, account_id: str, deleted: Document) -> None:
        """What else must change once ``deleted`` is gone (soft-deleted)."""

    def present(self, doc: Document) -> Document:
        """The stored document as answers show it, before its private fields are dropped
        (a resource may show one under a public name, as Kazoo shows some)."""
        return doc

    def read_only(self, account_id: str, doc: Document) -> dict[str, Any] | None:
        """Live facts shown under ``_read_only`` when one document is read (Kazoo shows a
        conference's participants so); None: nothing."""
        return None

    collection_patch: str | None = None
    """When set, the collection answers PATCH (this text documents it) with
    :meth:`patch_collection`."""

    def patch_collection(self, store: DocumentStore, account_id: str, data: Any) -> Any:
        """PATCH of the whole collection: the answer's ``data``."""
        raise NotImplementedError


@dataclass(frozen=True)
class ResourceSpec:
    """What the generic CRUD machinery needs to know about one resource."""

    name: str
    """Collection name in URLs (``users``)."""
    schema: type[DocumentSchema]
    summary: tuple[str, ...]
    """Fields shown for each document of a list (besides ``id``)."""
    rules: DocumentRules = field(default_factory=DocumentRules)
    read_only: bool = False
    """Only GET verbs (CDRs)."""

    @property
    def pvt_type(self) -> str:
        return self.schema.pvt_type

    @property
    def title(self) -> str:
        """Singular CamelCase name for API models (``TemporalRule``)."""
        return self.schema.__name__.removesuffix("Schema")


def public_view(doc: Mapping[str, Any]) -> Document:
    """A stored document as clients see it: no private, CouchDB or server-only fields, plus
    ``id``."""
    view = {key: value for key, value in doc.items() if is_client_key(key)}
    view["id"] = doc["_id"]
    return view


def summary_view(doc: Mapping[str, Any], fields: tuple[str, ...]) -> Document:
    """The list entry of a document: its id and summary fields."""
    view: Document = {"id": doc["_id"]}
    view.update({name: doc[name] for name in fields if name in doc})
    return view


def merge_patch(target: Any, patch: Any) -> Any:
    """Deep-merge ``patch`` into ``target``; a ``null`` in the patch deletes the field."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def validate(schema: type[Schema], data: Any) -> Document:
    """Load ``data`` through ``schema``; 400 in Kazoo's shape when it does not fit."""
    if not isinstance(data, dict):
        raise ValidationFailed({"data": {"type": {"message": "data must be an object"}}})
    try:
        return schema().load(data)
    except ValidationError as error:
        raise ValidationFailed(kazoo_errors(error.messages)) from None


def without_cleared(doc: Document) -> Document:
    """``doc`` without the private fields a rule cleared (set to None)."""
    return {k: v for k, v in doc.items() if v is not None or not k.startswith("pvt_")}


def check_revision(doc: Document, expected_rev: str | None) -> None:
    """409 when the client named a revision that is not the current one."""
    if expected_rev is not None and expected_rev != doc["_rev"]:
        raise RevisionConflict(
            {"message": "conflicting documents", "current_revision": doc["_rev"]}
        )


class DocumentService:
    """Create, read, list, replace, patch and delete one kind of document of an account."""

    def __init__(self, store: DocumentStore, spec: ResourceSpec) -> None:
        self.store = store
        self.spec = spec

    def _db(self, account_id: str) -> str:
        """The database holding this kind of document for an account."""
        return account_db(account_id)

    def _owner_fields(self, account_id: str) -> Document:
        """The private fields naming who owns a new document."""
        return {"pvt_account_id": account_id, "pvt_account_db": account_db(account_id)}

    def _unique_db(self, account_id: str) -> str:
        """The database within which ``rules.unique`` values must be unique."""
        return self._db(account_id)

    # -- reads ---------------------------------------------------------------------------

    def read(self, account_id: str, doc_id: str) -> Document:
        """The stored document (404 if missing, soft-deleted, of another type, or not a
        document id)."""
        doc = self._stored(account_id, doc_id)
        if is_deleted(doc):
            raise NotFoundError({"message": "bad identifier", "cause": doc_id})
        return doc

    def _stored(self, account_id: str, doc_id: str) -> Document:
        """The stored document of this kind, deleted or not."""
        if not DOC_ID.match(doc_id):
            raise NotFoundError({"message": "bad identifier", "cause": doc_id})
        try:
            doc = self.store.get(self._db(account_id), doc_id)
        except NotFound:
            raise NotFoundError({"message": "bad identifier", "cause": doc_id}) from None
        if doc.get("pvt_type") != self.spec.pvt_type:
            raise NotFoundError({"message": "bad identifier", "cause": doc_id})
        return doc

    def list(self, account_id: str, query: ListQuery) -> Page:
        """A page of the account's documents of this kind (soft-deleted ones left out)."""
        return list_documents(
            self.store,
            self._db(account_id),
            self._selector(account_id),
            query,
            predicate=lambda doc: not is_deleted(doc),
        )

    def _selector(self, account_id: str) -> Document:
        """What the documents of this collection have (a Mango selector)."""
        return {"pvt_type": self.spec.pvt_type}

    # -- writes --------------------------------------------------------------------------

    def create(self, account_id: str, data: Any) -> Document:
        """Validate and store a new document."""
        doc = self._checked(account_id, validate(self.spec.schema, data), None)
        now = now_gregorian()
        doc.update(self._owner_fields(account_id))
        doc.update(pvt_type=self.spec.pvt_type, pvt_created=now, pvt_modified=now)
        doc.update(pvt_vsn=SCHEMA_VERSION)
        saved = self._save(account_id, without_cleared(doc), None)
        self.spec.rules.after_save(self.store, account_id, saved, None)
        return saved

    def replace(
        self,
        account_id: str,
        doc_id: str,
        data: Any,
        expected_rev: str | None = None,
        private: Mapping[str, Any] | None = None,
    ) -> Document:
        """Replace the public part of a document (private fields and attachments stay;
        ``private``: private fields the server changes with this save)."""
        existing = self.read(account_id, doc_id)
        check_revision(existing, expected_rev)
        doc = self._checked(account_id, validate(self.spec.schema, data), existing)
        return self._save_over(account_id, existing, {**doc, **(private or {})})

    def patch(
        self,
        account_id: str,
        doc_id: str,
        data: Any,
        expected_rev: str | None = None,
        private: Mapping[str, Any] | None = None,
    ) -> Document:
        """Merge ``data`` into the document (``null`` deletes a field), then validate
        (``private`` as for :meth:`replace`)."""
        if not isinstance(data, dict):
            raise ValidationFailed({"data": {"type": {"message": "data must be an object"}}})
        existing = self.read(account_id, doc_id)
        check_revision(existing, expected_rev)
        merged = merge_patch(public_view(existing), data)
        doc = self._checked(account_id, validate(self.spec.schema, merged), existing)
        return self._save_over(account_id, existing, {**doc, **(private or {})})

    def delete(self, account_id: str, doc_id: str, expected_rev: str | None = None) -> Document:
        """Soft-delete a document (``pvt_deleted``; purged after the retention time);
        returns what it was."""
        existing = self.read(account_id, doc_id)
        check_revision(existing, expected_rev)
        try:
            self.store.save(self._db(account_id), marked_deleted(existing, now_gregorian()))
        except Conflict:
            raise RevisionConflict() from None
        self.spec.rules.after_delete(self.store, account_id, existing)
        return existing

    def restore(self, account_id: str, doc_id: str) -> Document:
        """Bring a soft-deleted document back, through the same checks as a save (its
        unique values and numbers must still be free); 404 when it is not deleted."""
        existing = self._stored(account_id, doc_id)
        if not is_deleted(existing):
            raise NotFoundError({"message": "not deleted", "cause": doc_id})
        public = {k: v for k, v in public_view(existing).items() if k != "id"}
        doc = self._checked(account_id, validate(self.spec.schema, public), existing)
        return self._save_over(account_id, restored(existing, now_gregorian()), doc)

    # -- helpers -------------------------------------------------------------------------

    def _checked(self, account_id: str, doc: Document, existing: Document | None) -> Document:
        self._check_unique(account_id, doc, existing["_id"] if existing else None)
        return self.spec.rules.prepare(self.store, account_id, doc, existing)

    def _save_over(self, account_id: str, existing: Document, doc: Document) -> Document:
        kept = {k: v for k, v in existing.items() if is_reserved_key(k) and k != "id"}
        merged = {**kept, **doc, "pvt_modified": now_gregorian()}
        try:
            saved = self._save(account_id, without_cleared(merged), existing)
        except Conflict:
            raise RevisionConflict() from None
        self.spec.rules.after_save(self.store, account_id, saved, existing)
        return saved

    def _save(self, account_id: str, doc: Document, existing: Document | None) -> Document:
        """Store ``doc``; when that fails, the rules give back what ``prepare`` took."""
        try:
            return self.store.save(self._db(account_id), doc)
        except Exception:
            self.spec.rules.save_failed(self.store, account_id, doc, existing)
            raise

    def _check_unique(self, account_id: str, doc: Document, own_id: str | None) -> None:
        errors: dict[str, Any] = {}
        for path in self.spec.rules.unique:
            value = value_at(doc, path)
            values = value if isinstance(value, list) else [value]
            values = [v for v in values if as_query_value(v) is not None]
            if not values:
                continue
            match: Any = {"$elemMatch": {"$in": values}} if isinstance(value, list) else value
            clashes = self.store.find(
                self._unique_db(account_id), {"pvt_type": self.spec.pvt_type, path: match}
            )
            for clash in clashes:
                if clash["_id"] == own_id or is_deleted(clash):
                    continue
                taken = value_at(clash, path)
                shared = [v for v in values if v in (taken if isinstance(taken, list) else [taken])]
                name = clash.get("name", "")
                errors[path] = {
                    "unique": {
                        "message": f"{path} {shared[0]} exists in {self.spec.pvt_type} "
                        f"{clash['_id']} {name}".rstrip(),
                        "cause": shared[0],
                    }
                }
                break
        if errors:
            raise ValidationFailed(errors)


SYSTEM = "system"
"""The ``account_id`` the handlers of system-wide collections get (:class:`SystemDocuments`)."""


class SystemDocuments(DocumentService):
    """A system-wide collection (Kazoo's global resources in its ``offnet`` database): the
    same service, on one database of its own, with no owning account."""

    def __init__(self, store: DocumentStore, spec: ResourceSpec, db: str) -> None:
        super().__init__(store, spec)
        self.db = db
        store.ensure_db(db)

    def _db(self, account_id: str) -> str:
        return self.db

    def _owner_fields(self, account_id: str) -> Document:
        return {}
