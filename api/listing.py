"""Listing documents the way Crossbar does: paging by ``start_key``, ``filter_<path>``,
``filter_not_<path>``, ``has_key``, ``key_missing``, ``created_from`` / ``created_to``.

Documents are listed in id order. Filters apply to the whole stored document (dot paths
reach nested values) and compare as Kazoo does: the document's value in its query-string
form (``true``, ``42``, ``alice``) against the parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from api.errors import field_error
from kazoo_tasks.docstore import DocumentStore

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_BATCH = 100
_MISSING = object()

Document = dict[str, Any]


@dataclass(frozen=True)
class ListQuery:
    """What a client asked of a list."""

    page_size: int = DEFAULT_PAGE_SIZE
    start_key: str | None = None
    paginate: bool = True
    equal: dict[str, str] = field(default_factory=dict)
    not_equal: dict[str, str] = field(default_factory=dict)
    has_keys: tuple[str, ...] = ()
    missing_keys: tuple[str, ...] = ()
    created_from: int | None = None
    created_to: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ListQuery:
        """Parse query-string arguments (400 naming the argument when one is bad)."""
        equal: dict[str, str] = {}
        not_equal: dict[str, str] = {}
        for key, value in args.items():
            if key.startswith("filter_not_"):
                not_equal[key.removeprefix("filter_not_")] = value
            elif key.startswith("filter_"):
                equal[key.removeprefix("filter_")] = value
        return cls(
            page_size=_int_arg(args, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
            start_key=args.get("start_key") or None,
            paginate=args.get("paginate", "true").lower() != "false",
            equal=equal,
            not_equal=not_equal,
            has_keys=tuple(k for k in args.get("has_key", "").split(",") if k),
            missing_keys=tuple(k for k in args.get("key_missing", "").split(",") if k),
            created_from=_int_arg(args, "created_from", None, 0, None),
            created_to=_int_arg(args, "created_to", None, 0, None),
        )

    def matches(self, doc: Document) -> bool:
        """Whether ``doc`` passes every filter."""
        for path, wanted in self.equal.items():
            if as_query_value(value_at(doc, path)) != wanted:
                return False
        for path, unwanted in self.not_equal.items():
            if as_query_value(value_at(doc, path)) == unwanted:
                return False
        if any(value_at(doc, path) is _MISSING for path in self.has_keys):
            return False
        return all(value_at(doc, path) is _MISSING for path in self.missing_keys)


@dataclass(frozen=True)
class Page:
    """One page of a list."""

    docs: list[Document]
    start_key: str | None
    next_start_key: str | None


def _int_arg(
    args: Mapping[str, str], name: str, default: int | None, low: int, high: int | None
) -> Any:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise field_error(name, "type", f"{name} must be an integer") from None
    if value < low:
        raise field_error(name, "minimum", f"{name} must be at least {low}", target=low)
    if high is not None and value > high:
        raise field_error(name, "maximum", f"{name} must be at most {high}", target=high)
    return value


def value_at(doc: Any, path: str) -> Any:
    """The value at a dot path (``caller_id.internal.number``), or a missing marker."""
    current = doc
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def as_query_value(value: Any) -> str | None:
    """A document value as it would appear in a query string (None when absent)."""
    if value is _MISSING or value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def list_documents(
    store: DocumentStore,
    db: str,
    selector: Mapping[str, Any],
    query: ListQuery,
    predicate: Callable[[Document], bool] | None = None,
) -> Page:
    """One page of the documents of ``db`` matching ``selector``, ``predicate`` and ``query``.

    Reads the database in id order in batches, keeps what passes the filters, and stops
    once it holds one more than a page (that one's id is ``next_start_key``).
    """
    base: dict[str, Any] = dict(selector)
    created: dict[str, int] = {}
    if query.created_from is not None:
        created["$gte"] = query.created_from
    if query.created_to is not None:
        created["$lte"] = query.created_to
    if created:
        base["pvt_created"] = created
    wanted = query.page_size + 1 if query.paginate else None
    kept: list[Document] = []
    id_bound: dict[str, str] = {"$gte": query.start_key} if query.start_key else {}
    while True:
        batch_selector = {**base, "_id": id_bound} if id_bound else base
        batch = store.find(db, batch_selector, limit=_BATCH)
        for doc in batch:
            if query.matches(doc) and (predicate is None or predicate(doc)):
                kept.append(doc)
                if wanted is not None and len(kept) >= wanted:
                    break
        if len(batch) < _BATCH or (wanted is not None and len(kept) >= wanted):
            break
        id_bound = {"$gt": batch[-1]["_id"]}
    if wanted is not None and len(kept) >= wanted:
        return Page(kept[:-1], query.start_key, kept[-1]["_id"])
    return Page(kept, query.start_key, None)
