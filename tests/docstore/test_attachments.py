"""Conformance: attachments (binary round trip, stubs, revisions)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from kazoo_tasks.docstore import Conflict, DocumentStore, NotFound

ALL_BYTES = bytes(range(256)) * 64


def _with_attachment(store: DocumentStore, db: str, data: bytes) -> str:
    """Save document ``media1`` and attach ``a.bin`` (``data``) to it; the new revision."""
    doc = store.save(db, {"_id": "media1"})
    return store.put_attachment(
        db, "media1", "a.bin", data, "application/octet-stream", doc["_rev"]
    )


def test_given_binary_data_when_attached_then_it_round_trips_with_a_stub(
    store: DocumentStore, db: str
) -> None:
    doc = store.save(db, {"_id": "media1", "name": "greeting"})

    rev = store.put_attachment(db, "media1", "greeting.wav", ALL_BYTES, "audio/wav", doc["_rev"])

    assert rev.startswith("2-")
    got = store.get_attachment(db, "media1", "greeting.wav")
    assert got.data == ALL_BYTES
    assert got.content_type == "audio/wav"
    stub = store.get(db, "media1")["_attachments"]["greeting.wav"]
    digest = base64.b64encode(hashlib.md5(ALL_BYTES).digest()).decode()
    assert stub["stub"] is True
    assert stub["length"] == len(ALL_BYTES)
    assert stub["digest"] == f"md5-{digest}"
    assert stub["content_type"] == "audio/wav"
    assert stub["revpos"] == 2


def test_given_an_attachment_when_the_doc_is_saved_with_its_stubs_then_it_is_kept(
    store: DocumentStore, db: str
) -> None:
    _with_attachment(store, db, b"\x00\xff")

    current = store.get(db, "media1")
    store.save(db, {**current, "name": "renamed"})

    assert store.get_attachment(db, "media1", "a.bin").data == b"\x00\xff"
    assert store.get(db, "media1")["_attachments"]["a.bin"]["revpos"] == 2


def test_given_an_attachment_when_the_doc_is_saved_without_stubs_then_it_is_dropped(
    store: DocumentStore, db: str
) -> None:
    rev = _with_attachment(store, db, b"abc")

    store.save(db, {"_id": "media1", "_rev": rev, "name": "bare"})

    with pytest.raises(NotFound):
        store.get_attachment(db, "media1", "a.bin")
    assert "_attachments" not in store.get(db, "media1")


def test_given_inline_base64_data_when_saved_then_it_is_stored_as_an_attachment(
    store: DocumentStore, db: str
) -> None:
    inline = {"data": base64.b64encode(b"hello").decode(), "content_type": "text/plain"}
    store.save(db, {"_id": "m2", "_attachments": {"hello.txt": inline}})

    assert store.get_attachment(db, "m2", "hello.txt").data == b"hello"
    assert store.get(db, "m2")["_attachments"]["hello.txt"]["length"] == 5


def test_given_an_attachment_when_deleted_then_it_is_gone_and_the_rev_moves(
    store: DocumentStore, db: str
) -> None:
    rev = _with_attachment(store, db, b"abc")

    new_rev = store.delete_attachment(db, "media1", "a.bin", rev)

    assert new_rev.startswith("3-")
    with pytest.raises(NotFound):
        store.get_attachment(db, "media1", "a.bin")
    assert "_attachments" not in store.get(db, "media1")


def test_given_a_stale_rev_when_attaching_then_conflict(store: DocumentStore, db: str) -> None:
    doc = store.save(db, {"_id": "media1"})
    store.save(db, doc)

    with pytest.raises(Conflict):
        store.put_attachment(db, "media1", "a.bin", b"x", "text/plain", doc["_rev"])


def test_given_no_such_attachment_when_read_then_not_found(store: DocumentStore, db: str) -> None:
    store.save(db, {"_id": "media1"})

    with pytest.raises(NotFound):
        store.get_attachment(db, "media1", "missing.wav")
    with pytest.raises(NotFound):
        store.get_attachment(db, "nodoc", "missing.wav")
