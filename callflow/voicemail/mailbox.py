"""A voicemail box as the ``voicemail`` module sees it (Kazoo's ``#mailbox{}`` record of
cf_voicemail): its ``vmbox`` document read with Kazoo's defaults, its owner's recorded
name, its message count and the limits that apply. Plain JSON (the module keeps it in
its step results).

Which box a node means (Kazoo's get_mailbox_doc): the node's ``id``; else the number the
callflow pattern captured; else (checking) a box of the caller's owner, when
``single_mailbox_login`` and the owner has one, or ``callerid_match_login`` and one box's
number is the caller's number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callflow.voicemail.messages import FOLDER_NEW, FOLDER_SAVED, box_messages
from kazoo_tasks.docstore import DocumentStore, NotFound, account_db
from kazoo_tasks.docstore.soft_delete import is_deleted

BOX_TYPE = "vmbox"
DEFAULT_MAX_MESSAGE_LENGTH = 500
"""Seconds a message may last when neither the node nor the box says (Kazoo's
``callflow.voicemail.max_message_length``)."""
MIN_MESSAGE_MS = 500
"""Shorter recordings are not kept (Kazoo's ``min_message_size``)."""
MAX_MESSAGE_COUNT = 100
"""A box holding this many messages takes no more (Kazoo's ``max_message_count``)."""
MAX_LOGIN_ATTEMPTS = 3
DEFAULT_INTERDIGIT_MS = 2000

Facts = dict[str, Any]


def _document(store: DocumentStore, db: str, doc_id: str, doc_type: str) -> Facts | None:
    try:
        doc = store.get(db, doc_id)
    except NotFound:
        return None
    if doc.get("pvt_type") != doc_type or is_deleted(doc):
        return None
    return doc


def boxes_where(store: DocumentStore, account_id: str, selector: Mapping[str, Any]) -> list[Facts]:
    """The account's (not deleted) boxes matching ``selector``, by id."""
    docs = store.find(account_db(account_id), {"pvt_type": BOX_TYPE, **selector})
    return [doc for doc in docs if not is_deleted(doc)]


def find_box_id(
    store: DocumentStore,
    account_id: str,
    *,
    box_id: str | None = None,
    number: str | None = None,
    owner_id: str | None = None,
    single_mailbox_login: bool = False,
    caller_number: str | None = None,
) -> str | None:
    """The id of the box a node means (see the module documentation), or None."""
    if box_id:
        return box_id
    if number:
        found = boxes_where(store, account_id, {"mailbox": number})
        return found[0]["_id"] if found else None
    if not owner_id:
        return None
    owned = boxes_where(store, account_id, {"owner_id": owner_id})
    if single_mailbox_login and len(owned) == 1:
        return owned[0]["_id"]
    matching = [box for box in owned if caller_number and box.get("mailbox") == caller_number]
    return matching[0]["_id"] if matching else None


def load_box(
    store: DocumentStore, account_id: str, box_id: str, max_message_length: int | None
) -> Facts:
    """The facts of box ``box_id`` (``exists`` False when there is none).
    ``max_message_length`` is the node's (it wins over the box's)."""
    db = account_db(account_id)
    doc = _document(store, db, box_id, BOX_TYPE) if box_id else None
    if doc is None:
        return {"exists": False, "id": box_id}
    media = doc.get("media") if isinstance(doc.get("media"), dict) else {}
    owner = _document(store, db, doc["owner_id"], "user") if doc.get("owner_id") else None
    owner_media = owner.get("media") if owner and isinstance(owner.get("media"), dict) else {}
    messages = box_messages(store, account_id, box_id)
    length = max_message_length or doc.get("max_message_length")
    return {
        "exists": True,
        "id": box_id,
        "mailbox": str(doc.get("mailbox", "")),
        "owner_id": owner["_id"] if owner else None,
        "pin": str(doc.get("pin") or ""),
        "require_pin": doc.get("require_pin") is True,
        "check_if_owner": doc.get("check_if_owner", True) is not False,
        "is_setup": doc.get("is_setup") is True,
        "not_configurable": doc.get("not_configurable") is True,
        "announcement_only": doc.get("announcement_only") is True,
        "skip_greeting": doc.get("skip_greeting") is True,
        "skip_instructions": doc.get("skip_instructions") is True,
        "skip_envelope": doc.get("skip_envelope") is True,
        "oldest_message_first": doc.get("oldest_message_first") is True,
        "unavailable": media.get("unavailable") or None,
        "temporary_unavailable": media.get("temporary_unavailable") or None,
        "name": owner_media.get("name") or media.get("name") or None,
        "media_extension": doc.get("media_extension") or "mp3",
        "max_message_length": length if isinstance(length, int) and length > 0 else None,
        "interdigit_ms": doc.get("interdigit_timeout") or None,
        "message_count": len(messages),
        "new_count": sum(1 for m in messages if m.get("folder") == FOLDER_NEW),
        "saved_count": sum(1 for m in messages if m.get("folder") == FOLDER_SAVED),
    }


def greeting_of(box: Mapping[str, Any]) -> str | None:
    """The media id the box greets callers with (the temporary greeting overrides the
    unavailable one), or None for the system's."""
    return box.get("temporary_unavailable") or box.get("unavailable")


def is_full(box: Mapping[str, Any]) -> bool:
    """Whether the box takes no more messages."""
    return bool(MAX_MESSAGE_COUNT) and box.get("message_count", 0) >= MAX_MESSAGE_COUNT
