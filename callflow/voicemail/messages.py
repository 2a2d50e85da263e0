"""Voicemail messages: ``mailbox_message`` documents in the account database, as Kazoo 4
keeps them (kzd_box_message): the box in ``source_id``, the caller, length, time and folder
in ``metadata``, the audio as the attachment ``audio``. The vmbox messages API
(``/v2/accounts/{id}/vmboxes/{box}/messages``) lists, moves and serves them.

A message is written pending before its recording starts (:mod:`callflow.recorded`) and
kept once recorded, if long enough: only then does the API list it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from callflow import recorded
from kazoo_tasks.clock import to_gregorian
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.docstore.private_fields import private_fields
from kazoo_tasks.docstore.soft_delete import is_deleted
from kazoo_tasks.switch_files import EXTENSIONS, FileRef, rounded_expiry, signed_url

MESSAGE_TYPE = "mailbox_message"
AUDIO_ATTACHMENT = "audio"
FOLDER_NEW, FOLDER_SAVED, FOLDER_DELETED = "new", "saved", "deleted"
FOLDERS = (FOLDER_NEW, FOLDER_SAVED, FOLDER_DELETED)

Document = dict[str, Any]


def message_id(call_id: str, where: str, attempt: int) -> str:
    """The id of the message a call leaves at a node (the ``attempt``-th recording there):
    the same on every run of the step, so a re-run writes the same document."""
    return hashlib.sha256(f"{call_id}\n{where}\n{attempt}".encode()).hexdigest()[:32]


def new_message(
    account_id: str,
    box: Mapping[str, Any],
    doc_id: str,
    caller: Mapping[str, Any],
    now: float,
    extension: str = "mp3",
) -> Document:
    """A message document (not stored) for box ``box`` (its ``id`` and ``mailbox``)
    from the call ``caller`` (``call_id``, ``caller_id_name``/``_number``, ``from``,
    ``to``), at ``now`` (Unix seconds); ``folder`` and ``length`` come when it is kept."""
    when = to_gregorian(now)
    return {
        "_id": doc_id,
        **private_fields(MESSAGE_TYPE, account_id, when),
        "name": f"mailbox {box.get('mailbox', '')} message {when}",
        "description": "voicemail message with media",
        "source_type": "voicemail",
        "source_id": box["id"],
        "media_source": "recording",
        "media_filename": f"{doc_id}.{extension}",
        "streamable": True,
        "utc_seconds": when,
        "metadata": {
            "media_id": doc_id,
            "call_id": caller.get("call_id", ""),
            "caller_id_name": caller.get("caller_id_name", ""),
            "caller_id_number": caller.get("caller_id_number", ""),
            "from": caller.get("from", ""),
            "to": caller.get("to", ""),
            "timestamp": when,
        },
    }


def kept_fields(length_ms: int, folder: str = FOLDER_NEW) -> dict[str, Any]:
    """What keeping a recorded message sets: its length (ms) and folder."""
    return {"metadata": {"length": length_ms, "folder": folder}}


def view(doc: Mapping[str, Any]) -> Document:
    """A message as clients and the check menus see it: its metadata, ``media_id``."""
    return {**(doc.get("metadata") or {}), "media_id": doc["_id"]}


def is_listed(doc: Mapping[str, Any]) -> bool:
    """Whether a message shows (not pending, discarded or deleted)."""
    return doc.get("pvt_type") == MESSAGE_TYPE and not is_deleted(doc)


def box_messages(store: DocumentStore, account_id: str, box_id: str) -> list[Document]:
    """The box's messages (views), newest first, as Kazoo's menus play them."""
    docs = store.find(account_db(account_id), {"pvt_type": MESSAGE_TYPE, "source_id": box_id})
    views = [view(doc) for doc in docs if is_listed(doc)]
    return sorted(views, key=lambda m: (m.get("timestamp") or 0, m["media_id"]), reverse=True)


def set_folder(
    store: DocumentStore, account_id: str, doc_id: str, folder: str, now: float
) -> Document | None:
    """Move a message to ``folder`` (None if it is gone)."""
    if folder not in FOLDERS:
        raise ValueError(f"no folder {folder!r}")
    doc = store.get(account_db(account_id), doc_id)
    metadata = {**(doc.get("metadata") or {}), "folder": folder}
    return recorded.update(store, account_db(account_id), doc_id, {"metadata": metadata}, now)


def audio_url(settings: Settings, doc: Mapping[str, Any], account_id: str, now: float) -> str:
    """What the switch plays for a message's audio (a signed URL of the API), or ""
    when the audio has not arrived yet."""
    stub = (doc.get("_attachments") or {}).get(AUDIO_ATTACHMENT)
    if not stub:
        return ""
    content_type = str(stub.get("content_type", "")).split(";")[0].strip().lower()
    extension = EXTENSIONS.get(content_type, "wav")
    ref = FileRef(account_id, str(doc["_id"]), AUDIO_ATTACHMENT, "message", extension)
    return "http_cache://" + signed_url(
        settings, "GET", ref, rounded_expiry(settings.switch_media_url_ttl, now)
    )


def extension_of(media_extension: str | None) -> str:
    """The recording format for a box's ``media_extension`` (mp3 or wav; Kazoo's mp4 is
    recorded as wav, which the switch writes without an extra module)."""
    return "mp3" if media_extension == "mp3" else "wav"
