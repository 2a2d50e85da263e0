"""Rules of voicemail boxes beyond their schema (unique mailbox numbers), and their
messages: ``mailbox_message`` documents in the account database, each naming its box in
``source_id``, with its metadata (folder, caller, length...) and its audio attachment
(their shape: :mod:`callflow.voicemail.messages`, which the voicemail callflow module
writes them with). Messages still being recorded, or discarded, are not shown."""

from __future__ import annotations

import time
import uuid
from typing import Any

from api.documents import (
    Document,
    DocumentRules,
    DocumentService,
    check_revision,
    validate,
)
from api.errors import NotFoundError, RevisionConflict, field_error
from api.listing import ListQuery, Page, list_documents
from callflow.voicemail import messages as vm_messages
from callflow.voicemail.messages import AUDIO_ATTACHMENT, MESSAGE_TYPE, is_listed
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import Attachment, Conflict, DocumentStore, NotFound, account_db
from schemas.vmboxes import VmboxMessageChange, VmboxMessagesChange


class Rules(DocumentRules):
    """Mailbox numbers are unique in the account."""

    unique = ("mailbox",)


RULES = Rules()


def message_view(doc: Document) -> Document:
    """A message as clients see it: its metadata and its id as ``media_id``."""
    return vm_messages.view(doc)


def save_message(
    store: DocumentStore,
    account_id: str,
    vmbox_id: str,
    audio: bytes,
    content_type: str,
    metadata: dict[str, Any],
) -> Document:
    """Store a new message (folder ``new``) with its audio, as a call leaves one;
    returns the document."""
    doc = vm_messages.new_message(account_id, {"id": vmbox_id}, uuid.uuid4().hex, {}, time.time())
    doc["metadata"] = {**doc["metadata"], **metadata, "folder": vm_messages.FOLDER_NEW}
    db = account_db(account_id)
    saved = store.save(db, doc)
    store.put_attachment(db, saved["_id"], AUDIO_ATTACHMENT, audio, content_type, saved["_rev"])
    return store.get(db, saved["_id"])


class Messages:
    """The messages of the boxes of one resource service."""

    def __init__(self, vmboxes: DocumentService) -> None:
        self.vmboxes = vmboxes
        self.store = vmboxes.store

    def list(self, account_id: str, vmbox_id: str, query: ListQuery) -> Page:
        """A page of the box's messages."""
        self.vmboxes.read(account_id, vmbox_id)
        selector = {"pvt_type": MESSAGE_TYPE, "source_id": vmbox_id}
        return list_documents(self.store, account_db(account_id), selector, query, is_listed)

    def read(self, account_id: str, vmbox_id: str, message_id: str) -> Document:
        """One message of the box (404 if missing or of another box)."""
        self.vmboxes.read(account_id, vmbox_id)
        try:
            doc = self.store.get(account_db(account_id), message_id)
        except NotFound:
            doc = {}
        if not is_listed(doc) or doc.get("source_id") != vmbox_id:
            raise NotFoundError({"message": "bad identifier", "cause": message_id})
        return doc

    def update(
        self,
        account_id: str,
        vmbox_id: str,
        message_id: str,
        data: Any,
        expected_rev: str | None = None,
    ) -> Document:
        """Change one message as Kazoo does: its ``folder``; ``source_id`` a box id moves it
        to that box, a list of box ids copies it to each. Answers the message as it is
        now (in its new box when moved)."""
        change = validate(VmboxMessageChange, data)
        doc = self.read(account_id, vmbox_id, message_id)
        check_revision(doc, expected_rev)
        self._check_boxes(account_id, change.get("source_id"))
        return self._apply(account_id, doc, change)

    def update_many(self, account_id: str, vmbox_id: str, data: Any) -> dict[str, Any]:
        """Change several messages of the box at once (``messages``, or all of them);
        Kazoo's answer: ``succeeded`` ids and ``failed`` ``{id: reason}``."""
        change = validate(VmboxMessagesChange, data)
        self._check_boxes(account_id, change.get("source_id"))
        ids = change["messages"] if "messages" in change else self._ids(account_id, vmbox_id)
        return self._each(
            account_id, vmbox_id, ids, lambda doc: self._apply(account_id, doc, change)
        )

    def delete_many(self, account_id: str, vmbox_id: str, data: Any) -> dict[str, Any]:
        """Delete several messages of the box (``messages``, or all of them, or those of
        one ``folder``); Kazoo's answer: ``succeeded`` and ``failed``."""
        change = validate(VmboxMessagesChange, data)
        ids = (
            change["messages"]
            if "messages" in change
            else self._ids(account_id, vmbox_id, change.get("folder"))
        )
        db = account_db(account_id)
        return self._each(
            account_id, vmbox_id, ids, lambda doc: self.store.delete(db, doc["_id"], doc["_rev"])
        )

    def _ids(self, account_id: str, vmbox_id: str, folder: str | None = None) -> list[str]:
        """The ids of the box's messages (of one ``folder`` when given)."""
        docs = self.list(account_id, vmbox_id, ListQuery(paginate=False)).docs
        return [
            doc["_id"]
            for doc in docs
            if folder is None or doc.get("metadata", {}).get("folder") == folder
        ]

    def _each(self, account_id: str, vmbox_id: str, ids: list[str], apply: Any) -> dict[str, Any]:
        """Apply ``apply`` to each message of the box named in ``ids``."""
        self.vmboxes.read(account_id, vmbox_id)
        succeeded: list[str] = []
        failed: list[dict[str, str]] = []
        for message_id in ids:
            try:
                apply(self.read(account_id, vmbox_id, message_id))
            except NotFoundError:
                failed.append({message_id: "not_found"})
            except (Conflict, RevisionConflict):
                failed.append({message_id: "conflict"})
            else:
                succeeded.append(message_id)
        return {"succeeded": succeeded, "failed": failed}

    def _check_boxes(self, account_id: str, source_id: Any) -> None:
        """400 unless every box ``source_id`` names is a box of the account."""
        boxes = [source_id] if isinstance(source_id, str) else source_id or []
        for box_id in boxes:
            try:
                self.vmboxes.read(account_id, box_id)
            except NotFoundError:
                raise field_error(
                    "source_id", "not_found", "No such voicemail box", cause=box_id
                ) from None

    def _apply(self, account_id: str, doc: Document, change: dict[str, Any]) -> Document:
        """Save ``doc`` with ``change`` (folder, move); copies go to the boxes of a list
        ``source_id``. Returns the message as saved."""
        db = account_db(account_id)
        target = change.get("source_id")
        if "folder" in change:
            doc["metadata"] = {**doc.get("metadata", {}), "folder": change["folder"]}
        if isinstance(target, str):
            doc["source_id"] = target
        doc["pvt_modified"] = now_gregorian()
        try:
            saved = self.store.save(db, doc)
        except Conflict:
            raise RevisionConflict() from None
        for box_id in target if isinstance(target, list) else []:
            self._copy(db, saved, box_id)
        return saved

    def _copy(self, db: str, doc: Document, box_id: str) -> Document:
        """A copy of the message (and its audio) in box ``box_id``, in folder ``new``."""
        copy_id = uuid.uuid4().hex
        kept = {k: v for k, v in doc.items() if k not in ("_id", "_rev", "_attachments")}
        if isinstance(kept.get("media_filename"), str):
            kept["media_filename"] = kept["media_filename"].replace(doc["_id"], copy_id)
        metadata = {
            **doc.get("metadata", {}),
            "media_id": copy_id,
            "folder": vm_messages.FOLDER_NEW,
        }
        saved = self.store.save(
            db, {**kept, "_id": copy_id, "source_id": box_id, "metadata": metadata}
        )
        try:
            audio = self.store.get_attachment(db, doc["_id"], AUDIO_ATTACHMENT)
        except NotFound:
            return saved
        self.store.put_attachment(
            db, copy_id, AUDIO_ATTACHMENT, audio.data, audio.content_type, saved["_rev"]
        )
        return saved

    def delete(
        self, account_id: str, vmbox_id: str, message_id: str, expected_rev: str | None = None
    ) -> Document:
        """Delete a message and its audio; returns what it was."""
        doc = self.read(account_id, vmbox_id, message_id)
        check_revision(doc, expected_rev)
        try:
            self.store.delete(account_db(account_id), message_id, doc["_rev"])
        except Conflict:
            raise RevisionConflict() from None
        return doc

    def audio(self, account_id: str, vmbox_id: str, message_id: str) -> Attachment:
        """The message's recording."""
        self.read(account_id, vmbox_id, message_id)
        try:
            return self.store.get_attachment(account_db(account_id), message_id, AUDIO_ATTACHMENT)
        except NotFound:
            raise NotFoundError({"message": "no recording", "cause": message_id}) from None
