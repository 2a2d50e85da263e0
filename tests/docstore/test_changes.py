"""Conformance: the per-database change feed (since, limit, deletions, long poll)."""

from __future__ import annotations

import threading
import time

from kazoo_tasks.docstore import DocumentStore


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


def test_given_changes_when_read_with_a_limit_then_pages_chain_by_last_seq(
    store: DocumentStore, db: str
) -> None:
    for n in range(5):
        store.save(db, {"_id": f"d{n}"})

    seen: list[str] = []
    since = "0"
    for _ in range(3):
        page = store.changes(db, since, limit=2)
        seen += [c.id for c in page.results]
        since = page.last_seq

    assert seen == ["d0", "d1", "d2", "d3", "d4"]


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
