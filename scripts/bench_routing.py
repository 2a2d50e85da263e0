"""Measure a route lookup (callflow.router.route) read from the store every time vs
through the process's cache; prints one JSON line.

    .venv/bin/python scripts/bench_routing.py [--callflows 50] [--lookups 2000] [--couchdb URL]

One account with ``--callflows`` callflows (a DID and a pattern each). Each lookup routes
a call: by the DID alone (the owner from the numbers database, then the account's route
table), and by the account's pattern (the route table). The cached figures run with a
changes follower holding its lease and this process's cache listener live, as in a worker.
Needs RabbitMQ and Redis on 127.0.0.1. Numbers, not assertions: see docs/documents.md.
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

from bench_docstore import _drop_namespace, local_settings

from callflow.router import claim_numbers, route
from kazoo_tasks.cache import Cache, named_cache
from kazoo_tasks.cache.listener import listener_for
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import NUMBERS_DB, DocumentStore, account_db
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore
from workers.changes import ChangesFollower


def _seed(store: DocumentStore, callflows: int) -> tuple[str, list[str]]:
    account_id = uuid.uuid4().hex
    db = account_db(account_id)
    store.ensure_db(db)
    dids = []
    for n in range(callflows):
        did = f"+1415{uuid.uuid4().int % 10**7:07d}"
        doc = {
            "_id": f"cf{n:04d}",
            "pvt_type": "callflow",
            "numbers": [did],
            "patterns": [f"^\\*{n:02d}(\\d+)$"],
            "flow": {"module": "answer", "data": {}, "children": {}},
        }
        store.save(db, doc)
        claim_numbers(store, account_id, doc["_id"], [did])
        dids.append(did)
    return account_id, dids


def _timed_ms(lookups: int, lookup: Any) -> dict[str, float]:
    samples = []
    for n in range(lookups):
        started = time.perf_counter()
        lookup(n)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 3),
        "lookups_per_s": round(lookups / (sum(samples) / 1000), 1),
    }


def _figures(
    store: DocumentStore, account_id: str, dids: list[str], lookups: int, cache: Cache | None
) -> dict[str, Any]:
    def by_did(n: int) -> None:
        assert route(store, None, dids[n % len(dids)], cache).matched_by == "number"

    def by_pattern(n: int) -> None:
        number = f"*{n % len(dids):02d}{n}"
        assert route(store, account_id, number, cache).matched_by == "pattern"

    by_did(0), by_pattern(0)  # warm: build what the cache keeps
    return {"did": _timed_ms(lookups, by_did), "pattern": _timed_ms(lookups, by_pattern)}


def measure(
    settings: Settings, store: DocumentStore, callflows: int, lookups: int
) -> dict[str, Any]:
    account_id, dids = _seed(store, callflows)
    result = {"uncached": _figures(store, account_id, dids, lookups, None)}
    follower = ChangesFollower(settings, store=store, lease_ttl=3)
    stop = threading.Event()
    thread = threading.Thread(target=follower.run, args=(stop,), daemon=True)
    thread.start()
    try:
        if not (follower.following.wait(30) and listener_for(settings).wait_live(10)):
            raise SystemExit("the changes follower or the cache listener did not start")
        result["cached"] = _figures(store, account_id, dids, lookups, named_cache(settings))
    finally:
        stop.set()
        thread.join(10)
        listener_for(settings).stop()
        store.delete_db(account_db(account_id))
        for did in dids:
            store.delete(NUMBERS_DB, did, store.get(NUMBERS_DB, did)["_rev"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--callflows", type=int, default=50)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--couchdb", default=None, help="admin URL of a CouchDB to measure too")
    args = parser.parse_args()
    result: dict[str, Any] = {"callflows": args.callflows, "lookups": args.lookups}
    with tempfile.TemporaryDirectory() as tmp:
        settings = local_settings(Path(tmp))
        couch_settings = settings.with_overrides(namespace=settings.namespace + "c")
        try:
            embedded = EmbeddedDocumentStore(Path(tmp) / "documents.sqlite3")
            result["embedded"] = measure(settings, embedded, args.callflows, args.lookups)
            if args.couchdb:
                from kazoo_tasks.docstore.couch import CouchDocumentStore

                couch = CouchDocumentStore(args.couchdb)
                result["couch"] = measure(couch_settings, couch, args.callflows, args.lookups)
        finally:
            _drop_namespace(settings)
            _drop_namespace(couch_settings)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
