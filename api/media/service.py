"""Rules of media beyond their schema: the audio itself is the document's attachment
``AUDIO_ATTACHMENT``; uploading it records its content type and length on the document."""

from __future__ import annotations

import base64
import binascii
import re

from api.documents import Document, DocumentRules, DocumentService, check_revision
from api.errors import NotFoundError, RevisionConflict, field_error
from kazoo_tasks.docstore import Attachment, Conflict, NotFound, account_db
from schemas.media import AUDIO_CONTENT_TYPES

AUDIO_ATTACHMENT = "audio"
"""Name of the attachment holding a media document's audio (what playback reads)."""

RULES = DocumentRules()
BASE64_TYPES = ("application/x-base64", "application/base64")
"""Request content types whose body is the audio in base64, as Kazoo takes uploads: a
``data:`` URI (``data:audio/mpeg;base64,...``, RFC 2397) or bare base64."""
_DATA_URI = re.compile(rb"^data:([^;,]*)(?:;[^,]*)?,", re.ASCII)
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=]")


def decode_base64_upload(body: bytes) -> tuple[str | None, bytes]:
    """The content type named by a base64 upload's ``data:`` URI (None when bare) and
    the decoded audio; 400 ``encoding`` when it is not base64. Like Kazoo, whitespace is
    ignored and missing padding forgiven."""
    content_type = None
    match = _DATA_URI.match(body)
    if match is not None:
        content_type = match.group(1).decode().strip().lower() or None
        body = body[match.end() :]
    data = b"".join(body.split())
    if _NOT_BASE64.search(data):
        raise field_error("file", "encoding", "failed to decode base64 data")
    try:
        return content_type, base64.b64decode(data + b"=" * (-len(data.rstrip(b"=")) % 4))
    except binascii.Error:
        raise field_error("file", "encoding", "failed to decode base64 data") from None


def store_audio(
    documents: DocumentService,
    account_id: str,
    media_id: str,
    data: bytes,
    content_type: str,
    max_bytes: int,
    expected_rev: str | None = None,
) -> Document:
    """Attach ``data`` (at most ``max_bytes``) as the media's audio; returns the updated
    media document. The server refuses larger bodies before they are read
    (:mod:`api.server`); a multipart form's ``file`` part is checked here again."""
    content_type = content_type.split(";")[0].strip().lower()
    if content_type not in AUDIO_CONTENT_TYPES:
        raise field_error(
            "content_type",
            "enum",
            f"Unsupported media type {content_type!r}",
            target=list(AUDIO_CONTENT_TYPES),
        )
    if not data:
        raise field_error("content_length", "minimum", "The upload is empty", target=1)
    if len(data) > max_bytes:
        raise field_error("content_length", "maximum", "The upload is too large", target=max_bytes)
    existing = documents.read(account_id, media_id)
    check_revision(existing, expected_rev)
    db = account_db(account_id)
    try:
        documents.store.put_attachment(
            db, media_id, AUDIO_ATTACHMENT, data, content_type, existing["_rev"]
        )
        doc = documents.store.get(db, media_id)
        doc.update(content_type=content_type, content_length=len(data))
        return documents.store.save(db, doc)
    except Conflict:
        raise RevisionConflict() from None


def load_audio(documents: DocumentService, account_id: str, media_id: str) -> Attachment:
    """The media's audio (404 when none was uploaded)."""
    documents.read(account_id, media_id)
    try:
        return documents.store.get_attachment(account_db(account_id), media_id, AUDIO_ATTACHMENT)
    except NotFound:
        raise NotFoundError({"message": "no audio uploaded", "cause": media_id}) from None
