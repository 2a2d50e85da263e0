"""Conformance: create, read, update, delete, revisions and conflicts."""

from __future__ import annotations

import re

import pytest

from kazoo_tasks.docstore import Conflict, DatabaseNotFound, DocumentStore, InvalidRequest, NotFound


def test_given_a_doc_without_id_when_saved_then_it_gets_a_hex_id_and_first_revision(
    store: DocumentStore, db: str
) -> None:
    saved = store.save(db, {"name": "Main", "nested": {"n": [1, 2.5, None, True]}})

    assert re.fullmatch(r"[0-9a-f]{32}", saved["_id"])
    assert re.fullmatch(r"1-[0-9a-f]{32}", saved["_rev"])
    assert store.get(db, saved["_id"]) == {
        "_id": saved["_id"],
        "_rev": saved["_rev"],
        "name": "Main",
        "nested": {"n": [1, 2.5, None, True]},
    }


def test_given_a_saved_doc_when_saved_with_its_rev_then_the_generation_grows(
    store: DocumentStore, db: str
) -> None:
    first = store.save(db, {"_id": "cf1", "numbers": ["1000"]})
    second = store.save(db, {**first, "numbers": ["1000", "1001"]})

    assert second["_rev"].startswith("2-")
    assert store.get(db, "cf1")["numbers"] == ["1000", "1001"]


def test_given_a_stale_rev_when_saved_then_conflict_and_nothing_changes(
    store: DocumentStore, db: str
) -> None:
    first = store.save(db, {"_id": "cf1", "v": 1})
    store.save(db, {**first, "v": 2})

    with pytest.raises(Conflict):
        store.save(db, {**first, "v": 3})
    assert store.get(db, "cf1")["v"] == 2


def test_given_an_existing_id_when_saved_without_rev_then_conflict(
    store: DocumentStore, db: str
) -> None:
    store.save(db, {"_id": "cf1"})

    with pytest.raises(Conflict):
        store.save(db, {"_id": "cf1", "v": 2})


def test_given_a_missing_doc_when_saved_with_a_rev_then_conflict(
    store: DocumentStore, db: str
) -> None:
    with pytest.raises(Conflict):
        store.save(db, {"_id": "ghost", "_rev": "1-0123456789abcdef0123456789abcdef"})


def test_given_a_doc_when_deleted_then_get_fails_and_a_tombstone_rev_is_returned(
    store: DocumentStore, db: str
) -> None:
    saved = store.save(db, {"_id": "u1"})

    tombstone = store.delete(db, "u1", saved["_rev"])

    assert tombstone.startswith("2-")
    with pytest.raises(NotFound):
        store.get(db, "u1")


def test_given_a_stale_rev_when_deleting_then_conflict_and_the_doc_stays(
    store: DocumentStore, db: str
) -> None:
    first = store.save(db, {"_id": "u1"})
    store.save(db, {**first, "v": 2})

    with pytest.raises(Conflict):
        store.delete(db, "u1", first["_rev"])
    assert store.get(db, "u1")["v"] == 2


def test_given_a_deleted_doc_when_saved_again_without_rev_then_it_lives_on_the_tombstone(
    store: DocumentStore, db: str
) -> None:
    saved = store.save(db, {"_id": "u1"})
    store.delete(db, "u1", saved["_rev"])

    reborn = store.save(db, {"_id": "u1", "v": "again"})

    assert reborn["_rev"].startswith("3-")
    assert store.get(db, "u1")["v"] == "again"


def test_given_a_missing_doc_when_read_or_deleted_then_not_found(
    store: DocumentStore, db: str
) -> None:
    with pytest.raises(NotFound):
        store.get(db, "nope")
    with pytest.raises(NotFound):
        store.delete(db, "nope", "1-0123456789abcdef0123456789abcdef")


def test_given_a_missing_database_when_used_then_database_not_found(
    store: DocumentStore,
) -> None:
    with pytest.raises(DatabaseNotFound):
        store.get("no_such_db", "x")
    with pytest.raises(DatabaseNotFound):
        store.save("no_such_db", {"a": 1})


@pytest.mark.parametrize(
    "bad",
    [
        {"_secret": 1},
        {"_id": ""},
        {"_id": "_private"},
        {"_id": 12},
        {"value": float("nan")},
        {"value": object()},
        {"_rev": 3},
    ],
    ids=["special-member", "empty-id", "underscore-id", "int-id", "nan", "object", "int-rev"],
)
def test_given_a_malformed_doc_when_saved_then_invalid_request_and_nothing_stored(
    store: DocumentStore, db: str, bad: dict[str, object]
) -> None:
    with pytest.raises(InvalidRequest):
        store.save(db, bad)
    assert store.all_docs(db) == []


def test_given_a_design_doc_when_saved_then_it_can_be_read_back(
    store: DocumentStore, db: str
) -> None:
    store.save(db, {"_id": "_design/kazoo", "language": "javascript"})

    assert store.get(db, "_design/kazoo")["language"] == "javascript"


def test_given_new_taken_and_edited_docs_when_saved_together_then_each_gets_its_own_outcome(
    store: DocumentStore, db: str
) -> None:
    taken = store.save(db, {"_id": "cdr-1", "n": 1})
    edited = store.save(db, {"_id": "user-1", "name": "Ann"})

    outcomes = store.save_many(
        db, [{"_id": "cdr-2", "n": 2}, {"_id": "cdr-1", "n": 9}, {**edited, "name": "Bob"}]
    )

    first, refused, second = outcomes
    assert first["_id"] == "cdr-2" and first["_rev"].startswith("1-")
    assert isinstance(refused, Conflict)
    assert second["_rev"].startswith("2-")
    assert store.get(db, "cdr-2") == first
    assert store.get(db, "cdr-1") == taken  # the refused one changed nothing
    assert store.get(db, "user-1") == {**edited, "name": "Bob", "_rev": second["_rev"]}


def test_given_a_batch_empty_malformed_or_for_no_database_when_saved_then_nothing_is_stored(
    store: DocumentStore, db: str
) -> None:
    assert store.save_many(db, []) == []
    with pytest.raises(InvalidRequest):
        store.save_many(db, [{"_id": "ok"}, {"_id": "bad", "_private": 1}])
    with pytest.raises(NotFound):
        store.get(db, "ok")
    with pytest.raises(DatabaseNotFound):
        store.save_many("no_such_db", [{"_id": "x"}])
