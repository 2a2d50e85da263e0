"""Which hooks an event fires, as Kazoo's ``webhooks_util:find_webhooks`` finds them: the
enabled hooks of the event's account whose ``hook`` is the event (or ``all``), then those
of each ancestor (root first) that also set ``include_subaccounts``.

Reads go through a :class:`~kazoo_tasks.cache.Cache` when one is given: an account's
hooks are bound to every webhook document of its database, its ancestors to its entry in
the ``accounts`` database, so a saved, disabled or deleted hook is seen as soon as the
changes process announces it. The engine calls this on the call's path: with a warm cache
it costs a few dictionary lookups and an account without hooks sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from kazoo_tasks.cache import Cache, origins
from kazoo_tasks.docstore import ACCOUNTS_DB, DocumentStore, NotFound, account_db
from kazoo_tasks.docstore.base import Document
from kazoo_tasks.docstore.soft_delete import is_deleted
from kazoo_tasks.webhooks import ALL

WEBHOOK_TYPE = "webhook"
T = TypeVar("T")


def _cached(cache: Cache | None, key: tuple[str, ...], build: Callable[[], T], bound: Any) -> T:
    return build() if cache is None else cache.get_or_build(key, build, origins=[bound])


def account_hooks(
    store: DocumentStore, account_id: str, cache: Cache | None = None
) -> tuple[Document, ...]:
    """The enabled, undeleted hooks of one account (shared when cached: never change them)."""
    db = account_db(account_id)

    def build() -> tuple[Document, ...]:
        found = store.find(db, {"pvt_type": WEBHOOK_TYPE})
        live = [d for d in found if not is_deleted(d) and d.get("enabled", True) is not False]
        return tuple(sorted(live, key=lambda d: d["_id"]))

    return _cached(cache, ("webhooks", db), build, origins.doc_type(db, WEBHOOK_TYPE))


def ancestors(store: DocumentStore, account_id: str, cache: Cache | None = None) -> list[str]:
    """The account's ancestors, root first (its ``pvt_tree``); [] when it is unknown."""

    def build() -> list[str]:
        try:
            doc = store.get(ACCOUNTS_DB, account_id)
        except NotFound:
            return []
        return [str(a) for a in doc.get("pvt_tree") or [] if a != account_id]

    return _cached(cache, ("account_tree", account_id), build, origins.doc(ACCOUNTS_DB, account_id))


def matching_hooks(
    store: DocumentStore, account_id: str, hook_event: str, cache: Cache | None = None
) -> list[Document]:
    """The hooks ``hook_event`` of ``account_id`` fires, the account's own first."""
    found = [h for h in account_hooks(store, account_id, cache) if _fires(h, hook_event)]
    for parent in ancestors(store, account_id, cache):
        found += [
            h
            for h in account_hooks(store, parent, cache)
            if h.get("include_subaccounts") is True and _fires(h, hook_event)
        ]
    return found


def _fires(hook: Document, hook_event: str) -> bool:
    return hook.get("hook") in (hook_event, ALL)


def object_wanted(hook: Document, action: str, doc_type: str) -> bool:
    """Whether an ``object`` hook wants this change: its ``custom_data`` ``action`` and
    ``type`` (a name, a list of names, or ``all``; missing means all)."""
    custom = hook.get("custom_data") or {}
    return _among(custom.get("action"), action) and _among(custom.get("type"), doc_type)


def _among(wanted: Any, value: str) -> bool:
    if wanted is None or wanted == ALL:
        return True
    names: Sequence[Any] = wanted if isinstance(wanted, list) else [wanted]
    return ALL in names or value in names
