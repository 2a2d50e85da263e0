"""Match lists in a flow (Kazoo's cf_cidlistmatch and cf_lookupcidname): which entry of
an account's lists (``list_entry`` documents, ``/v2/accounts/{id}/lists/{id}/entries``)
a caller's number matches.

An entry matches by its ``number`` (or ``prefix``) when that is the start of the caller's
number without its ``+`` (``1415`` matches ``+14155550100``), else by its ``pattern``, a
regex searched in the number as the caller sent it. As Kazoo does: prefixes are tried in
every list, in order, before any pattern; the first list with a matching prefix gives its
longest one; then the first list with a matching pattern gives its first (id order)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from callflow.hunting import search
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.docstore.soft_delete import is_deleted

Entry = Mapping[str, Any]
ENTRY_TYPE = "list_entry"


def entries_of(store: DocumentStore, account_id: str, list_id: str) -> list[dict[str, Any]]:
    """The entries of list ``list_id`` of the account, in id order (deleted ones left out)."""
    found = store.find(account_db(account_id), {"pvt_type": ENTRY_TYPE, "list_id": list_id})
    return sorted((dict(d) for d in found if not is_deleted(d)), key=lambda d: d["_id"])


def _prefix(entry: Entry) -> str:
    value = entry.get("number") or entry.get("prefix")
    return value.lstrip("+") if isinstance(value, str) else ""


def by_prefix(entries: Iterable[Entry], number: str) -> Entry | None:
    """The entry whose number is the longest start of ``number`` (without ``+``)."""
    digits = number.lstrip("+")
    found = [e for e in entries if _prefix(e) and digits.startswith(_prefix(e))]
    return max(found, key=lambda e: len(_prefix(e)), default=None)


def by_pattern(entries: Iterable[Entry], number: str) -> Entry | None:
    """The first entry whose ``pattern`` is found in ``number``."""
    for entry in entries:
        pattern = entry.get("pattern")
        if isinstance(pattern, str) and pattern and search(pattern, number):
            return entry
    return None


def first_match(lists: Iterable[list[dict[str, Any]]], number: str) -> Entry | None:
    """The entry ``number`` matches in ``lists`` (each a list's entries): a prefix in any
    list, in list order, then a pattern."""
    lists = list(lists)
    for finder in (by_prefix, by_pattern):
        for entries in lists:
            entry = finder(entries, number)
            if entry is not None:
                return entry
    return None


def entry_name(entry: Entry) -> str:
    """The caller-id name an entry gives: ``displayname``, else ``name``, else
    ``cid_name``, else the first and last names."""
    for key in ("displayname", "name", "cid_name"):
        if isinstance(entry.get(key), str) and entry[key]:
            return str(entry[key])
    return " ".join(str(entry[k]) for k in ("firstname", "lastname") if entry.get(k)).strip()
