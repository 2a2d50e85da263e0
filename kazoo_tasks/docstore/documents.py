"""Checks every back end applies to a document before storing it, so that bad input gets
the same clear :class:`~kazoo_tasks.docstore.base.InvalidRequest` whichever back end runs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from kazoo_tasks.docstore.base import Document, InvalidRequest
from kazoo_tasks.docstore.mango import Matcher, compile_selector

SPECIAL_MEMBERS = frozenset({"_id", "_rev", "_deleted", "_attachments"})
"""The ``_``-prefixed top-level fields a document may carry (CouchDB refuses others)."""

DESIGN_PREFIX = "_design/"


def new_doc_id() -> str:
    """A fresh document id: 32 lowercase hex characters, like CouchDB's uuids."""
    return uuid.uuid4().hex


def check_doc_id(doc_id: Any) -> str:
    """Return ``doc_id`` if it is a usable id (non-empty string; ``_`` only for design docs)."""
    if not isinstance(doc_id, str) or not doc_id:
        raise InvalidRequest(f"document id must be a non-empty string, not {doc_id!r}")
    if doc_id.startswith("_") and not (
        doc_id.startswith(DESIGN_PREFIX) and len(doc_id) > len(DESIGN_PREFIX)
    ):
        raise InvalidRequest(f"document id {doc_id!r}: only design documents may start with _")
    return doc_id


def checked_document(doc: Any) -> Document:
    """A copy of ``doc`` with ``_id`` set, after checking it is a storable JSON object."""
    if not isinstance(doc, Mapping):
        raise InvalidRequest(f"a document must be a JSON object, not {type(doc).__name__}")
    copy = dict(doc)
    unknown = sorted(k for k in copy if k.startswith("_") and k not in SPECIAL_MEMBERS)
    if unknown:
        raise InvalidRequest(f"bad special document member(s): {', '.join(unknown)}")
    copy["_id"] = check_doc_id(copy["_id"]) if "_id" in copy else new_doc_id()
    rev = copy.get("_rev")
    if rev is not None and not isinstance(rev, str):
        raise InvalidRequest(f"_rev must be a string, not {rev!r}")
    if not isinstance(copy.get("_deleted", False), bool):
        raise InvalidRequest("_deleted must be true or false")
    attachments = copy.get("_attachments", {})
    if not isinstance(attachments, Mapping) or not all(
        isinstance(spec, Mapping) for spec in attachments.values()
    ):
        raise InvalidRequest("_attachments must map names to objects")
    try:
        json.dumps(copy, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"document is not JSON: {exc}") from exc
    return copy


def is_design_doc(doc_id: str) -> bool:
    """Whether an id names a design document."""
    return doc_id.startswith(DESIGN_PREFIX)


def check_limit(limit: int | None) -> None:
    """Raise InvalidRequest unless ``limit`` is None or a non-negative integer."""
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise InvalidRequest(f"limit must be a non-negative integer, not {limit!r}")


def check_skip(skip: int) -> None:
    """Raise InvalidRequest unless ``skip`` is a non-negative integer."""
    if not isinstance(skip, int) or skip < 0:
        raise InvalidRequest(f"skip must be a non-negative integer, not {skip!r}")


def check_attachment_name(name: str) -> None:
    """Raise InvalidRequest unless ``name`` is a usable attachment name."""
    if not isinstance(name, str) or not name or name.startswith("_"):
        raise InvalidRequest(f"invalid attachment name {name!r}")


def checked_attachment(name: str, data: Any) -> bytes:
    """The bytes of an attachment to store, after checking its name and data."""
    check_attachment_name(name)
    if not isinstance(data, bytes | bytearray):
        raise InvalidRequest("attachment data must be bytes")
    return bytes(data)


def checked_query(selector: Mapping[str, Any], limit: int | None, skip: int) -> Matcher:
    """The compiled selector of a ``find``, after checking its limit and skip."""
    matches = compile_selector(selector)
    check_limit(limit)
    check_skip(skip)
    return matches
