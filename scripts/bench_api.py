"""Latency of the API over real HTTP (waitress in a thread, embedded document store, local
Redis): creates, reads, lists and patches users; prints p50/p99 per operation.

    .venv/bin/python scripts/bench_api.py [--requests 300] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import requests

from api.accounts.service import create_account
from api.app import create_app
from api.server import start_in_thread
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            namespace=f"bench{uuid.uuid4().hex[:8]}", data_dir=Path(tmp), redis_url=args.redis
        )
        store = EmbeddedDocumentStore(Path(tmp) / "documents.sqlite3")
        server = start_in_thread(create_app(settings, store))
        try:
            account, api_key = create_account(store, f"bench {uuid.uuid4().hex[:6]}")
            session = requests.Session()
            base = f"{server.url}/v2"
            token = session.put(f"{base}/api_auth", json={"data": {"api_key": api_key}}).json()[
                "auth_token"
            ]
            session.headers["X-Auth-Token"] = token
            users = f"{base}/accounts/{account['_id']}/users"
            timings: dict[str, list[float]] = {"PUT": [], "GET": [], "PATCH": [], "LIST": []}
            ids = []
            for n in range(args.requests):
                body = {"data": {"first_name": f"u{n}", "last_name": "bench"}}
                ids.append(_timed(timings["PUT"], session.put, users, json=body)["data"]["id"])
            for doc_id in ids:
                _timed(timings["GET"], session.get, f"{users}/{doc_id}")
                _timed(
                    timings["PATCH"],
                    session.patch,
                    f"{users}/{doc_id}",
                    json={"data": {"email": "x@y.z"}},
                )
            for _ in range(max(1, args.requests // 10)):
                _timed(timings["LIST"], session.get, users, params={"page_size": "50"})
        finally:
            server.stop()
            store.close()
    for name, values in timings.items():
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(
            f"{name:5} n={len(values):4}  p50 {statistics.median(values):6.1f} ms"
            f"  p99 {p99:6.1f} ms"
        )


def _timed(bucket: list[float], call, *args, **kwargs):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    answer = call(*args, **kwargs)
    bucket.append((time.perf_counter() - started) * 1000)
    answer.raise_for_status()
    return answer.json()


if __name__ == "__main__":
    main()
