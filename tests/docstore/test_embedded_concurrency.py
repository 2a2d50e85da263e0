"""The embedded store under concurrent writers: threads and forked processes share one file."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from kazoo_tasks.docstore import Conflict, DocumentStore, account_db
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore

DB = account_db("0123456789abcdef0123456789abcdef")
WRITERS = 4
INCREMENTS = 25


def _increment(store: DocumentStore, times: int) -> int:
    """Read-modify-write a counter ``times`` times, retrying on conflict; returns conflicts."""
    conflicts = 0
    done = 0
    while done < times:
        doc = store.get(DB, "counter")
        try:
            store.save(DB, {**doc, "n": doc["n"] + 1})
            done += 1
        except Conflict:
            conflicts += 1
    return conflicts


def _process_writer(path: str, times: int, queue: multiprocessing.Queue[int]) -> None:
    queue.put(_increment(EmbeddedDocumentStore(path), times))


def _forked_writer(store: DocumentStore, times: int, queue: multiprocessing.Queue[int]) -> None:
    queue.put(_increment(store, times))


def _fresh_store(tmp_path: Path) -> EmbeddedDocumentStore:
    store = EmbeddedDocumentStore(tmp_path / "documents.sqlite3")
    store.ensure_db(DB)
    store.save(DB, {"_id": "counter", "n": 0})
    return store


def test_given_threads_racing_on_one_doc_when_all_finish_then_no_increment_is_lost(
    tmp_path: Path,
) -> None:
    store = _fresh_store(tmp_path)
    threads = [
        threading.Thread(target=_increment, args=(store, INCREMENTS)) for _ in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    doc = store.get(DB, "counter")
    assert doc["n"] == WRITERS * INCREMENTS
    assert doc["_rev"].startswith(f"{WRITERS * INCREMENTS + 1}-")
    assert len(store.changes(DB, "0").results) == 1


def test_given_processes_racing_on_one_file_when_all_finish_then_no_increment_is_lost(
    tmp_path: Path, fork_context: multiprocessing.context.BaseContext
) -> None:
    store = _fresh_store(tmp_path)
    queue: multiprocessing.Queue[int] = fork_context.Queue()
    workers = [
        fork_context.Process(target=_process_writer, args=(str(store.path), INCREMENTS, queue))
        for _ in range(WRITERS // 2)
    ] + [
        # these inherit the parent's store object (and its open connection) through fork
        fork_context.Process(target=_forked_writer, args=(store, INCREMENTS, queue))
        for _ in range(WRITERS // 2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert [worker.exitcode for worker in workers] == [0] * WRITERS
    assert store.get(DB, "counter")["n"] == WRITERS * INCREMENTS


def test_given_a_long_poll_in_one_process_when_another_process_writes_then_it_wakes(
    tmp_path: Path, fork_context: multiprocessing.context.BaseContext
) -> None:
    store = _fresh_store(tmp_path)
    since = store.changes(DB, "now").last_seq
    queue: multiprocessing.Queue[int] = fork_context.Queue()
    writer = fork_context.Process(target=_process_writer, args=(str(store.path), 1, queue))
    writer.start()

    page = store.changes(DB, since, timeout=30)

    writer.join(timeout=30)
    assert [c.id for c in page.results] == ["counter"]
