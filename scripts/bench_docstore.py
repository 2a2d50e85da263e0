"""Measure the document stores and the change → cache path; prints one JSON line.

    .venv/bin/python scripts/bench_docstore.py [--docs 2000] [--edits 50] [--couchdb URL]
        [--max-write-delay MS]

Needs RabbitMQ and Redis on 127.0.0.1 (as the tests do). Without --couchdb it measures
the embedded store only. With it, it also measures how soon a write wakes a long poll of
``_db_updates`` (what the changes process waits on) and of the database's own
``_changes`` (the alternative); ``--max-write-delay`` first sets the server's
``[global_changes] max_write_delay`` (ms; CouchDB's default is 500), which batches
``_db_updates``. Numbers, not assertions: see docs/documents.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import redis
import requests
from kombu import Connection

from kazoo_tasks.bus import docs_exchange
from kazoo_tasks.cache import named_cache, origins
from kazoo_tasks.cache.listener import listener_for
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore
from workers.changes import ChangesFollower

BULK_BATCH = 50
"""Documents per ``save_many`` in the batched saves (a CDR flush takes up to 500)."""


def local_settings(data_dir: Path) -> Settings:
    """Settings of a throwaway namespace on the local RabbitMQ and Redis, data in ``data_dir``."""
    return Settings(
        namespace=f"bench{uuid.uuid4().hex[:8]}",
        data_dir=data_dir,
        broker_url="amqp://guest:guest@127.0.0.1:5672//",
        redis_url="redis://127.0.0.1:6379/0",
    )


def _rate(count: int, started: float) -> float:
    return round(count / (time.perf_counter() - started), 1)


def store_figures(store: DocumentStore, docs: int) -> dict[str, float]:
    db = account_db(uuid.uuid4().hex)
    store.ensure_db(db)
    started = time.perf_counter()
    for n in range(docs):
        store.save(db, {"_id": f"d{n:06d}", "pvt_type": "user", "n": n})
    saves = _rate(docs, started)
    started = time.perf_counter()
    for n in range(docs):
        store.get(db, f"d{n:06d}")
    gets = _rate(docs, started)
    started = time.perf_counter()
    for _ in range(20):
        store.find(db, {"n": {"$gte": docs // 2}}, limit=10)
    find_ms = round((time.perf_counter() - started) / 20 * 1000, 2)
    started = time.perf_counter()
    for first in range(0, docs, BULK_BATCH):  # as the CDR flush stores its batch
        batch = range(first, min(first + BULK_BATCH, docs))
        store.save_many(db, [{"_id": f"b{n:06d}", "pvt_type": "cdr", "n": n} for n in batch])
    bulk_saves = _rate(docs, started)
    store.delete_db(db)
    return {
        "saves_per_s": saves,
        f"saves_per_s_in_batches_of_{BULK_BATCH}": bulk_saves,
        "gets_per_s": gets,
        f"find_ms_{docs}_docs": find_ms,
    }


def propagation_ms(settings: Settings, store: DocumentStore, edits: int) -> dict[str, float]:
    """Edit → the next cached lookup returns the new value (follower + listener running)."""
    db = account_db(uuid.uuid4().hex)
    store.ensure_db(db)
    doc = store.save(db, {"_id": "cf1", "pvt_type": "callflow", "v": 0})
    follower = ChangesFollower(settings, store=store, lease_ttl=3)
    stop = threading.Event()
    thread = threading.Thread(target=follower.run, args=(stop,), daemon=True)
    thread.start()
    follower.following.wait(30)
    listener_for(settings).wait_live(10)
    cache = named_cache(settings)
    samples = []
    for n in range(1, edits + 1):
        lookup = lambda: cache.get_or_build(  # noqa: E731
            "cf1", lambda: store.get(db, "cf1")["v"], origins=[origins.doc(db, "cf1")]
        )
        lookup()
        doc = store.save(db, {**doc, "v": n})
        started = time.perf_counter()
        while lookup() != n:
            time.sleep(0.001)
        samples.append((time.perf_counter() - started) * 1000)
    stop.set()
    thread.join(10)
    listener_for(settings).stop()
    store.delete_db(db)
    samples.sort()
    return {
        "propagation_ms_p50": round(statistics.median(samples), 1),
        "propagation_ms_max": round(samples[-1], 1),
    }


def feed_wakeup_ms(url: str, edits: int) -> dict[str, float]:
    """Write → a waiting long poll returns it: ``_db_updates`` against the database's own
    ``_changes``. Writes are 0.7 s apart, so no batched event of the previous write is
    still on its way when the next poll starts at "now"."""
    from kazoo_tasks.docstore.couch import CouchDocumentStore

    writer, reader = CouchDocumentStore(url), CouchDocumentStore(url)
    db = account_db(uuid.uuid4().hex)
    writer.ensure_db(db)
    figures: dict[str, float] = {}
    for feed, waiter in (("db_updates", _wait_db_updates), ("changes", _wait_changes)):
        samples = []
        for n in range(edits):
            time.sleep(0.7)
            if feed == "db_updates":
                since = reader.db_updates("now").last_seq
            else:
                since = reader.changes(db, "now").last_seq
            seen = threading.Event()
            thread = threading.Thread(target=waiter, args=(reader, db, since, seen))
            thread.start()
            time.sleep(0.1)  # the long poll is waiting
            started = time.perf_counter()
            writer.save(db, {"_id": f"{feed}{n}"})
            seen.wait(10)
            samples.append((time.perf_counter() - started) * 1000)
            thread.join(10)
        samples.sort()
        figures[f"{feed}_wakeup_ms_p50"] = round(statistics.median(samples), 1)
        figures[f"{feed}_wakeup_ms_max"] = round(samples[-1], 1)
    writer.delete_db(db)
    return figures


def _wait_db_updates(store: DocumentStore, db: str, since: str, seen: threading.Event) -> None:
    while not seen.is_set():
        page = store.db_updates(since, timeout=5)
        since = page.last_seq
        if any(update.db == db for update in page.results):
            seen.set()


def _wait_changes(store: DocumentStore, db: str, since: str, seen: threading.Event) -> None:
    while not seen.is_set():
        page = store.changes(db, since, timeout=5)
        since = page.last_seq
        if page.results:
            seen.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--couchdb", default=None, help="admin URL of a CouchDB to measure too")
    parser.add_argument(
        "--max-write-delay", type=int, default=None, help="set CouchDB's global_changes batching"
    )
    args = parser.parse_args()
    if args.couchdb and args.max_write_delay is not None:
        requests.put(
            f"{args.couchdb}/_node/_local/_config/global_changes/max_write_delay",
            json=str(args.max_write_delay),
            timeout=10,
        ).raise_for_status()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = local_settings(Path(tmp))
        embedded = EmbeddedDocumentStore(Path(tmp) / "documents.sqlite3")
        result["embedded"] = {
            **store_figures(embedded, args.docs),
            **propagation_ms(settings, embedded, args.edits),
        }
        if args.couchdb:
            from kazoo_tasks.docstore.couch import CouchDocumentStore

            couch = CouchDocumentStore(args.couchdb)
            result["couch"] = {
                **store_figures(couch, args.docs),
                **feed_wakeup_ms(args.couchdb, args.edits),
                **propagation_ms(settings.with_overrides(namespace=settings.namespace + "c"),
                                 couch, args.edits),
            }  # fmt: skip
        _drop_namespace(settings)
        _drop_namespace(settings.with_overrides(namespace=settings.namespace + "c"))
    print(json.dumps(result))


def _drop_namespace(settings: Settings) -> None:
    """Remove the Redis keys and the exchange this run created."""
    client = redis.Redis.from_url(settings.redis_url or "")
    keys = list(client.scan_iter(f"{settings.namespace}:*"))
    if keys:
        client.delete(*keys)
    client.close()
    with Connection(settings.broker_url) as conn:
        conn.default_channel.exchange_delete(docs_exchange(settings.namespace).name)


if __name__ == "__main__":
    main()
