"""Routing a parked call to its account and callflow, as Kazoo's cf_route/cf_flow do.

The account is the call's ``ecallmgr_Account-ID`` custom channel variable when present,
else the owner of the dialed number in the system ``numbers`` database. Within the
account: an exact entry of a callflow's ``numbers``, then the regex ``patterns`` (the
match with the longest capture wins, ties going to the first pattern in key order, and
the capture groups are kept), then the account's ``no_match`` callflow (only for numbers
made of digits, optionally after a ``+``).

Every read goes through :func:`route_table`, :func:`load_callflow` and
:func:`number_owner`. Given a :class:`~kazoo_tasks.cache.Cache` (the engine passes the
process's :func:`~kazoo_tasks.cache.named_cache`), they keep what they read there, bound
to its origins: an account's route table to every callflow document of its database, a
callflow to its own document, a number's owner to its entry in the numbers database.
Any change to those (through the API or straight into CouchDB) erases the entry as soon
as the changes process announces it. Cached documents are shared: read them, never
change them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import regex

from kazoo_tasks.cache import Cache, Origin, origins
from kazoo_tasks.docstore import NUMBERS_DB, Conflict, DocumentStore, NotFound, account_db
from kazoo_tasks.docstore.base import Document
from kazoo_tasks.docstore.soft_delete import is_deleted

T = TypeVar("T")

log = logging.getLogger(__name__)

NO_MATCH = "no_match"
"""The pseudo-number of an account's catch-all callflow."""

CALLFLOW_TYPE = "callflow"
NUMBER_TYPE = "number"
ADDED = "pvt_added"
"""Set on a number document of the ``numbers`` database when its account added it through
the phone numbers API: the number stays the account's when no callflow uses it."""


@dataclass(frozen=True)
class Pattern:
    """One compiled callflow pattern."""

    source: str
    compiled: Any
    callflow_id: str


@dataclass(frozen=True)
class RouteTable:
    """What routing needs from one account's callflows."""

    callflows: dict[str, Document] = field(default_factory=dict)
    by_number: dict[str, str] = field(default_factory=dict)
    patterns: tuple[Pattern, ...] = ()


@dataclass(frozen=True)
class Route:
    """Where a call goes: its account, its callflow and how the number matched."""

    account_id: str
    callflow: Document
    matched_by: str
    capture_group: str | None = None
    capture_groups: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NoRoute:
    """Why a call could not be routed (logged and traced; the call is hung up).

    ``account_id`` is the call's account when it is known (its CDR goes there)."""

    reason: str
    cause: str = "NO_ROUTE_DESTINATION"
    account_id: str | None = None


def _build_table(docs: list[Document]) -> RouteTable:
    by_number: dict[str, str] = {}
    patterns: list[Pattern] = []
    for doc in sorted(docs, key=lambda d: d["_id"]):
        for number in doc.get("numbers") or []:
            by_number.setdefault(str(number), doc["_id"])
        for source in doc.get("patterns") or []:
            try:
                patterns.append(Pattern(source, regex.compile(source), doc["_id"]))
            except (regex.error, TypeError) as exc:
                log.warning("callflow %s: pattern %r skipped: %s", doc["_id"], source, exc)
    patterns.sort(key=lambda p: p.source)
    return RouteTable({d["_id"]: d for d in docs}, by_number, tuple(patterns))


def _cached(cache: Cache | None, key: tuple[str, ...], build: Callable[[], T], *bound: Origin) -> T:
    return build() if cache is None else cache.get_or_build(key, build, origins=bound)


def route_table(store: DocumentStore, account_id: str, cache: Cache | None = None) -> RouteTable:
    """The routing table of an account (numbers, patterns and callflow docs)."""
    db = account_db(account_id)

    def build() -> RouteTable:
        found = store.find(db, {"pvt_type": CALLFLOW_TYPE})
        return _build_table([doc for doc in found if not is_deleted(doc)])

    return _cached(cache, ("route_table", db), build, origins.doc_type(db, CALLFLOW_TYPE))


def load_callflow(
    store: DocumentStore, account_id: str, callflow_id: str, cache: Cache | None = None
) -> Document | None:
    """A callflow document of the account, or None when it does not exist (or is deleted)."""
    db = account_db(account_id)

    def build() -> Document | None:
        try:
            doc = store.get(db, callflow_id)
        except NotFound:
            return None
        return doc if doc.get("pvt_type") == CALLFLOW_TYPE and not is_deleted(doc) else None

    return _cached(cache, ("callflow", db, callflow_id), build, origins.doc(db, callflow_id))


def number_owner(store: DocumentStore, number: str, cache: Cache | None = None) -> str | None:
    """The account that claimed ``number`` in the system numbers database."""

    def build() -> str | None:
        try:
            return store.get(NUMBERS_DB, number).get("account_id")
        except NotFound:
            return None

    return _cached(cache, ("number_owner", number), build, origins.doc(NUMBERS_DB, number))


def _match_pattern(table: RouteTable, number: str) -> tuple[Pattern, str, dict[str, str]] | None:
    best: tuple[Pattern, str, dict[str, str]] | None = None
    for pattern in table.patterns:
        found = pattern.compiled.search(number)
        if not found:
            continue
        groups = [g or "" for g in found.groups()] or [found.group(0)]
        longest = max(groups, key=len)
        if best is None or len(longest) > len(best[1]):
            named = {k: v for k, v in found.groupdict().items() if v}
            best = (pattern, longest, named)
    return best


def _all_digits(number: str) -> bool:
    digits = number[1:] if number.startswith("+") else number
    return digits.isdigit()


def route(
    store: DocumentStore, account_id: str | None, number: str, cache: Cache | None = None
) -> Route | NoRoute:
    """Find the callflow for ``number`` dialed by a call of ``account_id`` (None: unknown)."""
    if not number:
        return NoRoute("no dialed number")
    account_id = account_id or number_owner(store, number, cache)
    if not account_id:
        return NoRoute(f"number {number!r} belongs to no account")
    try:
        table = route_table(store, account_id, cache)
    except (NotFound, ValueError) as exc:
        return NoRoute(f"account {account_id!r} has no callflows: {exc}")
    if number in table.by_number and number != NO_MATCH:
        return Route(account_id, table.callflows[table.by_number[number]], "number")
    matched = _match_pattern(table, number)
    if matched:
        pattern, capture, named = matched
        return Route(account_id, table.callflows[pattern.callflow_id], "pattern", capture, named)
    if NO_MATCH in table.by_number and _all_digits(number):
        return Route(account_id, table.callflows[table.by_number[NO_MATCH]], NO_MATCH)
    return NoRoute(f"no callflow of account {account_id} matches {number!r}", account_id=account_id)


# -- the system numbers database ----------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """What :func:`claim_numbers` did: numbers now routed here, numbers owned elsewhere."""

    claimed: list[str]
    taken: dict[str, str]


DID = regex.compile(r"^\+?1?\d{10}$|^\+[2-9]\d{7,}$")
"""Numbers that reach us from outside and so belong to one account system-wide (Kazoo's
default ``reconcile_regex``: ten digits after an optional ``+1``, or ``+`` and eight or
more digits). Shorter numbers are extensions, private to each account."""


def is_did(number: str) -> bool:
    """Whether ``number`` is a DID, claimed in the system numbers database (not an
    extension, which every account may use for itself)."""
    return DID.match(number) is not None


_NANP = regex.compile(r"^\+?1?(\d{10})$")


def number_forms(number: str) -> list[str]:
    """``number`` and the other ways the same number may be written in a callflow: a
    North American number as ``+1NXXNXXXXXX``, ``1NXXNXXXXXX`` and ``NXXNXXXXXX`` (Kazoo
    normalizes them to E.164; callflows keep numbers as their authors wrote them)."""
    match = _NANP.match(number)
    if match is None:
        return [number]
    ten = match.group(1)
    return [number, *(form for form in (f"+1{ten}", f"1{ten}", ten) if form != number)]


def _claimable(numbers: list[str]) -> list[str]:
    return sorted({str(n) for n in numbers if n and is_did(str(n))})


def claim_numbers(
    store: DocumentStore, account_id: str, callflow_id: str, numbers: list[str]
) -> Claim:
    """Point each DID of ``numbers`` at the account's callflow, unless another account
    owns it (extensions are skipped: see :data:`DID`).

    The first account to claim a number owns it until it releases it; the same account
    may move its number to another of its callflows. Call this when a callflow is saved.
    """
    store.ensure_db(NUMBERS_DB)
    claimed: list[str] = []
    taken: dict[str, str] = {}
    for number in _claimable(numbers):
        doc = {"_id": number, "account_id": account_id, "callflow_id": callflow_id}
        doc["pvt_type"] = NUMBER_TYPE
        while True:
            try:
                store.save(NUMBERS_DB, doc)
                claimed.append(number)
                break
            except Conflict:
                try:
                    current = store.get(NUMBERS_DB, number)
                except NotFound:
                    continue
                if current.get("account_id") != account_id:
                    taken[number] = current.get("account_id", "")
                    break
                if current.get("callflow_id") == callflow_id:
                    claimed.append(number)
                    break
                doc = {**current, **doc, "_rev": current["_rev"]}  # keeps what else it holds
    return Claim(claimed, taken)


def release_numbers(
    store: DocumentStore,
    account_id: str,
    callflow_id: str,
    numbers: list[str],
    *,
    keep_added: bool = True,
) -> list[str]:
    """Give up the numbers the account's callflow holds (when it is deleted or its numbers
    change); returns the numbers released. Numbers owned by others are left alone; a
    number the account added through the phone numbers API (:data:`ADDED`) stays the
    account's, only no longer used by the callflow, unless ``keep_added`` is false."""
    released: list[str] = []
    for number in _claimable(numbers):
        while True:
            try:
                current = store.get(NUMBERS_DB, number)
            except NotFound:
                break
            held_by = current.get("callflow_id") or ""  # "": added, used by no callflow
            if current.get("account_id") != account_id or held_by != callflow_id:
                break
            try:
                if keep_added and current.get(ADDED):
                    kept = {k: v for k, v in current.items() if k != "callflow_id"}
                    store.save(NUMBERS_DB, kept)
                else:
                    store.delete(NUMBERS_DB, number, current["_rev"])
                released.append(number)
                break
            except NotFound:
                break
            except Conflict:
                continue
    return released


def release_account_numbers(store: DocumentStore, account_id: str) -> list[str]:
    """Give up every number the account holds (when the account is deleted)."""
    try:
        held = store.find(NUMBERS_DB, {"account_id": account_id})
    except NotFound:
        return []
    by_callflow: dict[str, list[str]] = {}
    for doc in held:
        by_callflow.setdefault(doc.get("callflow_id", ""), []).append(doc["_id"])
    released: list[str] = []
    for callflow_id, numbers in sorted(by_callflow.items()):
        released += release_numbers(store, account_id, callflow_id, numbers, keep_added=False)
    return released
