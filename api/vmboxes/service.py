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
from api.errors import NotFoundError, RevisionConflict
from api.listing import ListQuery, Page, list_documents
from callflow.voicemail import messages as vm_messages
from callflow.voicemail.messages import AUDIO_ATTACHMENT, MESSAGE_TYPE, is_listed
from kazoo_tasks.clock import now_gregorian
from kazoo_tasks.docstore import Attachment, Conflict, DocumentStore, NotFound, account_db
from schemas.vmboxes import VmboxMessageMetadata


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
        """Change a message's metadata a client may change (its folder)."""
        changes = validate(VmboxMessageMetadata, data)
        doc = self.read(account_id, vmbox_id, message_id)
        check_revision(doc, expected_rev)
        doc["metadata"] = {**doc.get("metadata", {}), **changes}
        doc["pvt_modified"] = now_gregorian()
        try:
            return self.store.save(account_db(account_id), doc)
        except Conflict:
            raise RevisionConflict() from None

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
