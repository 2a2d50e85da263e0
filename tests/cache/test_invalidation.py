"""End to end: a direct edit in the store → changes process → notification → cache erase."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kazoo_tasks.cache import named_cache, origins
from kazoo_tasks.cache.listener import listener_for
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore
from tests.changes.processes import changes_process_running

STALE_AFTER_S = 5.0
"""A cache still stale this long after an edit is a failure; how fast an edit is seen is
measured, not asserted (scripts/bench_docstore.py, docs/documents.md)."""


def _lookup(settings: Settings, store: DocumentStore, db: str, builds: list[int]) -> Any:
    def build() -> Any:
        builds.append(1)
        return store.get(db, "cf1")["numbers"]

    return named_cache(settings).get_or_build(
        ("numbers", db, "cf1"), build, origins=[origins.doc(db, "cf1")]
    )


def _seen(settings: Settings, store: DocumentStore, db: str, wanted: Any) -> float:
    """Seconds until a cached lookup returns ``wanted`` (printed); fails after
    :data:`STALE_AFTER_S`."""
    started = time.monotonic()
    builds: list[int] = []
    while time.monotonic() - started < STALE_AFTER_S:
        if _lookup(settings, store, db, builds) == wanted:
            elapsed = time.monotonic() - started
            print(f"edit visible through the cache after {elapsed * 1000:.0f} ms")
            return elapsed
        time.sleep(0.01)
    raise AssertionError(f"cache still stale after {STALE_AFTER_S} s (wanted {wanted!r})")


def _embedded_callflow(settings: Settings, number: str) -> tuple[EmbeddedDocumentStore, str]:
    """The embedded store and a new account database in it holding callflow ``cf1`` for
    ``number``."""
    store = EmbeddedDocumentStore(settings.data_dir / "documents.sqlite3")
    db = account_db(uuid.uuid4().hex)
    store.ensure_db(db)
    store.save(db, {"_id": "cf1", "pvt_type": "callflow", "numbers": [number]})
    return store, db


@pytest.fixture
def changes_running(settings: Settings, tmp_path: Path) -> Iterator[None]:
    """The changes process over the embedded store."""
    with changes_process_running(settings, tmp_path):
        yield


def test_given_a_cached_callflow_when_edited_directly_in_couch_then_the_next_lookup_sees_it(
    settings: Settings, couchdb_server: Any, tmp_path: Path
) -> None:
    from kazoo_tasks.docstore.couch import CouchDocumentStore

    store = CouchDocumentStore(couchdb_server.admin_url)
    db = account_db(uuid.uuid4().hex)
    store.ensure_db(db)
    doc = store.save(db, {"_id": "cf1", "pvt_type": "callflow", "numbers": ["1000"]})
    with changes_process_running(settings, tmp_path, couchdb_server.admin_url):
        builds: list[int] = []
        assert _lookup(settings, store, db, builds) == ["1000"]
        assert _lookup(settings, store, db, builds) == ["1000"]
        assert len(builds) == 1  # the second lookup came from the cache

        # the edit goes straight to CouchDB over HTTP, not through our code
        url = f"{couchdb_server.base_url}/{db.replace('/', '%2F')}/cf1"
        response = requests.put(
            url, json={**doc, "numbers": ["2000"]}, auth=("admin", "test-secret"), timeout=10
        )
        assert response.status_code == 201, response.text

        _seen(settings, store, db, ["2000"])
    store.delete_db(db)


def test_given_a_cached_doc_when_another_process_edits_the_embedded_store_then_it_is_seen(
    settings: Settings, changes_running: None
) -> None:
    store, db = _embedded_callflow(settings, "1000")
    assert _lookup(settings, store, db, []) == ["1000"]

    process = multiprocessing.get_context("spawn").Process(
        target=_edit_numbers, args=(str(store.path), db, ["3000"])
    )
    process.start()
    process.join(30)

    assert process.exitcode == 0
    _seen(settings, store, db, ["3000"])


def _edit_numbers(path: str, db: str, numbers: list[str]) -> None:
    other = EmbeddedDocumentStore(path)
    doc = other.get(db, "cf1")
    other.save(db, {**doc, "numbers": numbers})


def _child_lookup(
    settings: Settings, path: str, db: str, results: multiprocessing.Queue[Any]
) -> None:
    """In a forked child (as in a Celery prefork worker): inherited entries are gone, the
    child's own listener starts, and an edit made after that reaches its cache."""
    store = EmbeddedDocumentStore(path)
    cache = named_cache(settings)
    results.put(("inherited", len(cache)))
    builds: list[int] = []
    results.put(("first", _lookup(settings, store, db, builds)))
    results.put(("live", listener_for(settings).wait_live(10)))
    _lookup(settings, store, db, builds)
    _edit_numbers(path, db, ["5000"])
    deadline = time.monotonic() + 5
    while _lookup(settings, store, db, builds) != ["5000"] and time.monotonic() < deadline:
        time.sleep(0.01)
    results.put(("after edit", _lookup(settings, store, db, builds)))
    listener_for(settings).stop()


def test_given_a_forked_child_when_it_uses_the_cache_then_it_gets_its_own_invalidation(
    settings: Settings, changes_running: None, fork_context: multiprocessing.context.BaseContext
) -> None:
    store, db = _embedded_callflow(settings, "4000")
    assert _lookup(settings, store, db, []) == ["4000"]
    assert len(named_cache(settings)) == 1

    results: multiprocessing.Queue[Any] = fork_context.Queue()
    child = fork_context.Process(
        target=_child_lookup, args=(settings, str(store.path), db, results)
    )
    child.start()
    got = dict(results.get(timeout=30) for _ in range(4))
    child.join(30)

    assert child.exitcode == 0
    assert got == {
        "inherited": 0,
        "first": ["4000"],
        "live": True,
        "after edit": ["5000"],
    }
