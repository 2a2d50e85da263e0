"""Conformance: the per-database change feed (since, limit, deletions, long poll)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from kazoo_tasks.docstore import Change, DocumentStore


def test_given_writes_when_reading_changes_from_zero_then_each_doc_appears_once_latest_first(
    store: DocumentStore, db: str
) -> None:
    a = store.save(db, {"_id": "a"})
    store.save(db, {"_id": "b"})
    store.save(db, {**a, "v": 2})

    page = store.changes(db, "0")

    assert [c.id for c in page.results] == ["b", "a"]
    assert page.results[1].rev.startswith("2-")
    assert page.last_seq == page.results[-1].seq
    assert store.changes(db, page.last_seq).results == []


def _read_in_pages(
    store: DocumentStore, db: str, since: str, limit: int
) -> tuple[list[Change], str]:
    """Every change after ``since``, read ``limit`` at a time chained by ``last_seq``."""
    seen: list[Change] = []
    while True:
        page = store.changes(db, since, limit=limit)
        since = page.last_seq
        if not page.results:
            return seen, since
        seen += page.results


def test_given_an_account_db_when_read_with_a_limit_then_pages_chain_in_write_order(
    store: DocumentStore, db: str
) -> None:
    for n in range(5):
        store.save(db, {"_id": f"d{n}"})

    seen, _ = _read_in_pages(store, db, "0", limit=2)

    # an account database has one shard on CouchDB (q=1): one global order
    assert [c.id for c in seen] == ["d0", "d1", "d2", "d3", "d4"]


@pytest.fixture
def sharded_db(store: DocumentStore) -> Iterator[str]:
    """A database that is not an account's: on CouchDB it has the server's default shards
    (q=2 in CouchDB 3), so its feed has no global order."""
    name = f"kt_shared_{uuid.uuid4().hex}"
    store.ensure_db(name)
    yield name
    store.delete_db(name)


def test_given_a_sharded_db_when_read_in_pages_then_each_change_comes_once_and_in_revision_order(
    store: DocumentStore, sharded_db: str
) -> None:
    docs = [store.save(sharded_db, {"_id": f"d{n}"}) for n in range(10)]
    first, since = _read_in_pages(store, sharded_db, "0", limit=3)
    for doc in docs:
        store.save(sharded_db, {**doc, "v": 2})

    second, _ = _read_in_pages(store, sharded_db, since, limit=3)

    ids = sorted(doc["_id"] for doc in docs)
    assert sorted(c.id for c in first) == ids  # every document once, whatever the order
    assert {c.rev[:2] for c in first} == {"1-"}
    assert sorted(c.id for c in second) == ids
    assert {c.rev[:2] for c in second} == {"2-"}  # a document's revisions come in order


def test_given_a_deleted_doc_when_reading_changes_then_it_is_flagged_deleted(
    store: DocumentStore, db: str
) -> None:
    doc = store.save(db, {"_id": "gone", "pvt_type": "callflow"})
    store.delete(db, "gone", doc["_rev"])

    (change,) = store.changes(db, "0", include_docs=True).results

    assert change.deleted is True
    assert change.doc is not None and change.doc["_deleted"] is True
    assert change.doc.get("pvt_type") == "callflow"


def test_given_include_docs_when_reading_changes_then_bodies_come_along(
    store: DocumentStore, db: str
) -> None:
    store.save(db, {"_id": "cf", "pvt_type": "callflow", "numbers": ["1000"]})

    (change,) = store.changes(db, "0", include_docs=True).results

    assert change.doc is not None
    assert change.doc["pvt_type"] == "callflow"
    assert change.doc["_rev"] == change.rev


def test_given_since_now_when_a_doc_is_written_later_then_a_long_poll_returns_it(
    store: DocumentStore, db: str
) -> None:
    store.save(db, {"_id": "old"})
    since = store.changes(db, "now").last_seq
    writer = threading.Timer(0.3, lambda: store.save(db, {"_id": "new"}))
    writer.start()

    page = store.changes(db, since, timeout=10)

    writer.join()
    assert [c.id for c in page.results] == ["new"]


def test_given_no_writes_when_long_polling_then_an_empty_page_comes_back_after_the_timeout(
    store: DocumentStore, db: str
) -> None:
    store.save(db, {"_id": "old"})
    since = store.changes(db, "0").last_seq
    started = time.monotonic()

    page = store.changes(db, since, timeout=0.5)

    assert page.results == []
    assert time.monotonic() - started >= 0.45
    assert store.changes(db, page.last_seq).results == []
