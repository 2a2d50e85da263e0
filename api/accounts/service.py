"""Accounts through the same rules for the API and for programs (the seed command).

An account document lives twice, as in Kazoo: in the account's own database (the primary
copy, whose revision clients see) and in the shared ``accounts`` database (the index used
for hierarchy, tenancy checks and logins). ``pvt_tree`` lists the ancestors, root first.
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from typing import Any

from api.accounts import schema
from api.documents import (
    Document,
    DocumentRules,
    DocumentService,
    ResourceSpec,
    check_revision,
    public_view,
    validate,
)
from api.errors import Forbidden, HasDescendants, NotFoundError, RevisionConflict, field_error
from api.listing import ListQuery, Page, list_documents
from callflow.router import release_account_numbers
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import ACCOUNTS_DB, Conflict, DocumentStore, NotFound, account_db
from kazoo_tasks.docstore.private_fields import private_fields
from kazoo_tasks.loose_types import to_boolean

log = logging.getLogger(__name__)

_ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
_MIRROR_ATTEMPTS = 5


def account_view(doc: Document) -> Document:
    """An account as clients see it: its public fields, and ``superduper_admin`` (whether
    it is a system admin account), which Kazoo shows beside them."""
    return {**public_view(doc), "superduper_admin": doc.get("pvt_superduper_admin") is True}


def system_admin_change(data: Any, by_system_admin: bool) -> dict[str, Any]:
    """The private fields a request ``data`` changes about the system-admin flag: only a
    system admin's ``superduper_admin`` counts (anyone else's is dropped, as Kazoo ignores
    it); 400 when it is not a boolean."""
    if not by_system_admin or not isinstance(data, dict) or "superduper_admin" not in data:
        return {}
    value = data["superduper_admin"]
    if not isinstance(value, bool):
        value = to_boolean(value)  # "true" and "false", as Kazoo takes them
    if not isinstance(value, bool):
        raise field_error("superduper_admin", "type", "superduper_admin must be a boolean")
    return {"pvt_superduper_admin": value}


def is_account_id(value: str) -> bool:
    """Whether ``value`` has the shape of an account id (32 lowercase hex characters)."""
    return bool(_ACCOUNT_ID.match(value))


class AccountRules(DocumentRules):
    """Names and realms are unique system-wide; a deleted account gives up its numbers."""

    unique = ("name", "realm")

    def after_delete(self, store: DocumentStore, account_id: str, deleted: Document) -> None:
        release_account_numbers(store, account_id)


ACCOUNTS = ResourceSpec("accounts", schema.DOCUMENT, schema.SUMMARY, AccountRules())


class AccountService(DocumentService):
    """Create, read, update, delete accounts and walk their hierarchy."""

    def __init__(self, store: DocumentStore) -> None:
        super().__init__(store, ACCOUNTS)

    def _unique_db(self, account_id: str) -> str:
        return ACCOUNTS_DB

    # -- look-ups in the shared accounts database -----------------------------------------

    def lookup(self, account_id: str) -> Document | None:
        """The account's index copy (``accounts`` database), or None."""
        if not is_account_id(account_id):
            return None
        try:
            doc = self.store.get(ACCOUNTS_DB, account_id)
        except NotFound:
            return None
        return doc if doc.get("pvt_type") == "account" else None

    def find_one(self, **fields: Any) -> Document | None:
        """The account whose fields equal ``fields`` (``pvt_api_key=...``, ``realm=...``)."""
        found = self.store.find(ACCOUNTS_DB, {"pvt_type": "account", **fields}, limit=1)
        return found[0] if found else None

    def read(self, account_id: str, doc_id: str | None = None) -> Document:
        """The account document (primary copy)."""
        if not is_account_id(account_id):
            raise NotFoundError({"message": "bad identifier", "cause": account_id})
        return super().read(account_id, account_id)

    # -- writes ----------------------------------------------------------------------------

    def create_account(
        self, data: Any, parent_id: str | None = None, *, superduper_admin: bool = False
    ) -> Document:
        """Validate and create an account under ``parent_id`` (top level when None)."""
        self.store.ensure_db(ACCOUNTS_DB)
        tree: list[str] = []
        if parent_id is not None:
            parent = self.lookup(parent_id)
            if parent is None:
                raise NotFoundError({"message": "bad identifier", "cause": parent_id})
            tree = [*parent.get("pvt_tree", []), parent_id]
        doc = self._checked(parent_id or "", validate(schema.DOCUMENT, data), None)
        account_id = uuid.uuid4().hex
        doc.setdefault("realm", f"{account_id[:12]}.sip.local")
        doc.update(
            _id=account_id,
            **private_fields("account", account_id, now_gregorian()),
            pvt_tree=tree,
            pvt_api_key=secrets.token_hex(32),
        )
        if superduper_admin:
            doc["pvt_superduper_admin"] = True
        self.store.ensure_db(account_db(account_id))
        saved = self.store.save(account_db(account_id), doc)
        self._mirror(saved)
        return saved

    def keeping_enabled(self, account_id: str, data: Any) -> Any:
        """``data`` for a replace or patch of the caller's own account: a change of
        ``enabled`` is ignored (an account does not enable or disable itself, only its
        ancestors do, as in Kazoo)."""
        if not isinstance(data, dict):
            return data
        return {**data, "enabled": self.read(account_id).get("enabled", True)}

    def rotate_api_key(self, account_id: str) -> str:
        """Give the account a new api key (returned); tokens issued from the old one stop
        working at once (they are bound to it, :mod:`api.tokens`)."""
        existing = self.read(account_id)
        api_key = secrets.token_hex(32)
        changed = {**existing, "pvt_api_key": api_key, "pvt_modified": now_gregorian()}
        try:
            saved = self.store.save(account_db(account_id), changed)
        except Conflict:
            raise RevisionConflict() from None
        self._mirror(saved)
        log.info("api key of account %s rotated", account_id)
        return api_key

    def delete(self, account_id: str, doc_id: str, expected_rev: str | None = None) -> Document:
        """Delete an account without sub-accounts, with its database (accounts are not
        soft-deleted: as in Kazoo, deleting one removes its database)."""
        existing = self.read(account_id)
        check_revision(existing, expected_rev)
        if self.store.find(ACCOUNTS_DB, self._descendants_selector(account_id), limit=1):
            raise HasDescendants()
        try:
            index = self.store.get(ACCOUNTS_DB, account_id)
            self.store.delete(ACCOUNTS_DB, account_id, index["_rev"])
        except NotFound:
            pass
        except Conflict:
            raise RevisionConflict() from None
        self.store.delete_db(account_db(account_id))
        self.spec.rules.after_delete(self.store, account_id, existing)
        return existing

    def _save_over(self, account_id: str, existing: Document, doc: Document) -> Document:
        """Replace and patch save the primary copy, then mirror it."""
        saved = super()._save_over(account_id, existing, doc)
        self._mirror(saved)
        return saved

    def _mirror(self, doc: Document) -> None:
        """Copy the account into the shared ``accounts`` database (retrying on races)."""
        copy = {k: v for k, v in doc.items() if k not in ("_rev", "_attachments")}
        for _ in range(_MIRROR_ATTEMPTS):
            try:
                copy["_rev"] = self.store.get(ACCOUNTS_DB, doc["_id"])["_rev"]
            except NotFound:
                copy.pop("_rev", None)
            try:
                self.store.save(ACCOUNTS_DB, copy)
                return
            except Conflict:
                continue
        raise RevisionConflict()

    def move(
        self, account_id: str, data: Any, mover_id: str, *, system_admin: bool = False
    ) -> Document:
        """Move the account (and everything below it) under ``data["to"]``: its ``pvt_tree``
        becomes the destination's tree plus the destination, and each descendant's tree
        changes the same way above the account. Only a system admin or ``mover_id``, an
        ancestor of both the account and the destination (or the destination itself), may
        (403, as Kazoo's ``allow_move: tree``); the
        destination must be another account that is not below this one (400)."""
        target = self.lookup(account_id)
        if target is None:
            raise NotFoundError({"message": "bad identifier", "cause": account_id})
        to_id = data.get("to") if isinstance(data, dict) else None
        if not isinstance(to_id, str) or not to_id:
            raise field_error("to", "required", "The account to move under is required")
        destination = self.lookup(to_id)
        if destination is None:
            raise field_error("to", "not_found", "No such account", cause=to_id)
        if to_id == account_id or account_id in destination.get("pvt_tree", []):
            raise field_error(
                "to", "forbidden", "An account cannot move under itself nor below itself",
                cause=to_id,
            )  # fmt: skip
        reaches_destination = to_id == mover_id or mover_id in destination.get("pvt_tree", [])
        if not system_admin and not (
            mover_id in target.get("pvt_tree", []) and reaches_destination
        ):
            raise Forbidden({"message": "only a system admin or an ancestor of both may move"})
        old_tree = list(target.get("pvt_tree", []))
        new_tree = [*destination.get("pvt_tree", []), to_id]
        moved = self._set_tree(account_id, new_tree)
        below = self.store.find(ACCOUNTS_DB, self._descendants_selector(account_id))
        for descendant in below:  # from the account down: right even after a half-done move
            tree = descendant.get("pvt_tree", [])
            self._set_tree(descendant["_id"], [*new_tree, *tree[tree.index(account_id) :]])
        log.info("account %s moved from %s to %s", account_id, old_tree, new_tree)
        return moved

    def _set_tree(self, account_id: str, tree: list[str]) -> Document:
        """Give the account a new ``pvt_tree`` (primary copy, then the index)."""
        for _ in range(_MIRROR_ATTEMPTS):
            doc = self.read(account_id)
            changed = {**doc, "pvt_tree": tree, "pvt_modified": now_gregorian()}
            try:
                saved = self.store.save(account_db(account_id), changed)
            except Conflict:
                continue
            self._mirror(saved)
            return saved
        raise RevisionConflict()

    # -- hierarchy -------------------------------------------------------------------------

    @staticmethod
    def _descendants_selector(account_id: str) -> dict[str, Any]:
        return {"pvt_type": "account", "pvt_tree": {"$elemMatch": {"$eq": account_id}}}

    def descendants(self, account_id: str, query: ListQuery) -> Page:
        """Every account below ``account_id``."""
        return list_documents(
            self.store, ACCOUNTS_DB, self._descendants_selector(account_id), query
        )

    def children(self, account_id: str, query: ListQuery) -> Page:
        """The accounts directly below ``account_id``."""
        return list_documents(
            self.store,
            ACCOUNTS_DB,
            self._descendants_selector(account_id),
            query,
            predicate=lambda doc: doc.get("pvt_tree", [])[-1:] == [account_id],
        )

    def siblings(self, account_id: str, query: ListQuery) -> Page:
        """The accounts beside ``account_id`` (its parent's other children, as Kazoo lists
        them: the account itself included); top-level accounts have none."""
        doc = self.lookup(account_id)
        tree = doc.get("pvt_tree", []) if doc else []
        if not tree:
            return Page([], None, None)
        return self.children(tree[-1], query)

    def ancestors(self, account_id: str, visible_from: str | None) -> list[Document]:
        """``{id, name}`` of the ancestors, root first, starting at ``visible_from`` (the
        caller's account) when it is one of them."""
        doc = self.lookup(account_id)
        tree = list(doc.get("pvt_tree", [])) if doc else []
        if visible_from in tree:
            tree = tree[tree.index(visible_from) :]
        entries = []
        for ancestor_id in tree:
            ancestor = self.lookup(ancestor_id)
            if ancestor is not None:
                entries.append({"id": ancestor_id, "name": ancestor.get("name")})
        return entries


def create_account(
    store: DocumentStore,
    name: str,
    *,
    parent_id: str | None = None,
    superduper_admin: bool = False,
    **fields: Any,
) -> tuple[Document, str]:
    """Create an account as the API would (same validation and storage); returns the
    stored account and its api key. This is what ``kazoo-tasks seed`` uses."""
    account = AccountService(store).create_account(
        {"name": name, **fields}, parent_id, superduper_admin=superduper_admin
    )
    return account, account["pvt_api_key"]
