"""Routing a parked call to its account and callflow, as Kazoo's cf_route/cf_flow do.

The account is the call's ``ecallmgr_Account-ID`` custom channel variable when present,
else the owner of the dialed number in the system ``numbers`` database. Within the
account: an exact entry of a callflow's ``numbers``, then the regex ``patterns`` (the
match with the longest capture wins, ties going to the first pattern in key order, and
the capture groups are kept), then the account's ``no_match`` callflow (only for numbers
made of digits, optionally after a ``+``).

Every read goes through :func:`route_table`, :func:`number_owner` and
:func:`load_callflow`. Given a :class:`~kazoo_tasks.cache.Cache` (a worker passes its
process's document cache), they keep what they read there, bound to the documents it came
from, so a doc-change notification erases it: a worker routes a call without reading the
store (a route table is rebuilt when any callflow of the account changes). Cached values
are shared between calls: read them, never change them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import regex

from kazoo_tasks.cache import Cache, origins
from kazoo_tasks.docstore import NUMBERS_DB, Conflict, DocumentStore, NotFound, account_db
from kazoo_tasks.docstore.base import Document

log = logging.getLogger(__name__)

NO_MATCH = "no_match"
"""The pseudo-number of an account's catch-all callflow."""

CALLFLOW_TYPE = "callflow"
NUMBER_TYPE = "number"


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
    """Why a call could not be routed (logged and traced; the call is hung up)."""

    reason: str
    cause: str = "NO_ROUTE_DESTINATION"


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


def route_table(store: DocumentStore, account_id: str, cache: Cache | None = None) -> RouteTable:
    """The routing table of an account (numbers, patterns and callflow docs)."""
    db = account_db(account_id)

    def build() -> RouteTable:
        return _build_table(store.find(db, {"pvt_type": CALLFLOW_TYPE}))

    if cache is None:
        return build()
    return cache.get_or_build(
        ("route-table", db), build, origins=[origins.doc_type(db, CALLFLOW_TYPE)]
    )


def load_callflow(
    store: DocumentStore, account_id: str, callflow_id: str, cache: Cache | None = None
) -> Document | None:
    """A callflow document of the account, or None when it does not exist."""
    db = account_db(account_id)

    def build() -> Document | None:
        try:
            doc = store.get(db, callflow_id)
        except NotFound:
            return None
        return doc if doc.get("pvt_type") == CALLFLOW_TYPE else None

    if cache is None:
        return build()
    return cache.get_or_build(
        ("callflow", db, callflow_id), build, origins=[origins.doc(db, callflow_id)]
    )


def number_owner(store: DocumentStore, number: str, cache: Cache | None = None) -> str | None:
    """The account that claimed ``number`` in the system numbers database."""

    def build() -> str | None:
        try:
            return store.get(NUMBERS_DB, number).get("account_id")
        except NotFound:
            return None

    if cache is None:
        return build()
    return cache.get_or_build(
        ("number-owner", number), build, origins=[origins.doc(NUMBERS_DB, number)]
    )


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
    return NoRoute(f"no callflow of account {account_id} matches {number!r}")


# -- the system numbers database ----------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """What :func:`claim_numbers` did: numbers now routed here, numbers owned elsewhere."""

    claimed: list[str]
    taken: dict[str, str]


def _claimable(numbers: list[str]) -> list[str]:
    return sorted({str(n) for n in numbers if n and str(n) != NO_MATCH})


def claim_numbers(
    store: DocumentStore, account_id: str, callflow_id: str, numbers: list[str]
) -> Claim:
    """Point each of ``numbers`` at the account's callflow, unless another account owns it.

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
                doc["_rev"] = current["_rev"]
    return Claim(claimed, taken)


def release_numbers(
    store: DocumentStore, account_id: str, callflow_id: str, numbers: list[str]
) -> list[str]:
    """Give up the numbers the account's callflow holds (when it is deleted or its numbers
    change); returns the numbers released. Numbers owned by others are left alone."""
    released: list[str] = []
    for number in _claimable(numbers):
        while True:
            try:
                current = store.get(NUMBERS_DB, number)
            except NotFound:
                break
            if current.get("account_id") != account_id or current.get("callflow_id") != callflow_id:
                break
            try:
                store.delete(NUMBERS_DB, number, current["_rev"])
                released.append(number)
                break
            except NotFound:
                break
            except Conflict:
                continue
    return released
