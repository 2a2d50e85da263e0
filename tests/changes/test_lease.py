"""One active changes process: the lease holder publishes, a standby takes over when it dies."""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import redis

from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import account_db
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore
from kazoo_tasks.lease import RedisLease
from tests.changes.helpers import collecting
from tests.changes.processes import changes_process, wait_primed
from tests.child_processes import stop
from tests.waiting import wait_for


def _holder_pid(client: redis.Redis, settings: Settings, timeout: float = 20) -> int:
    holder = wait_for(
        lambda: client.get(f"{settings.namespace}:changes:lease"),
        timeout,
        "a changes process to take the lease",
    )
    return int(holder.decode().split(":")[1])


def test_given_two_changes_processes_when_the_holder_is_killed_then_the_standby_takes_over(
    settings: Settings, tmp_path: Path
) -> None:
    store = EmbeddedDocumentStore(settings.data_dir / "documents.sqlite3")
    db = account_db(uuid.uuid4().hex)
    store.ensure_db(db)
    client = redis.Redis.from_url(settings.redis_url or "")
    processes = [changes_process(settings, tmp_path / f"changes{n}.log") for n in range(2)]
    try:
        with collecting(settings) as seen:
            first = _holder_pid(client, settings)
            wait_primed(client, settings)
            store.save(db, {"_id": "one", "pvt_type": "user"})
            seen.wait_for(lambda c: c.doc_id == "one", timeout=15)

            os.kill(first, signal.SIGKILL)
            store.save(db, {"_id": "two", "pvt_type": "user"})
            seen.wait_for(lambda c: c.doc_id == "two", timeout=20)
            second = _holder_pid(client, settings)
            published = [c.doc_id for _, c in seen.drain() if c.db == db]
    finally:
        for process in processes:
            stop(process)
        client.close()

    assert second != first
    assert {p.pid for p in processes} == {first, second}
    assert published.count("one") >= 1 and published.count("two") >= 1


def test_given_a_held_lease_when_another_holder_asks_then_it_is_refused_until_released(
    settings: Settings,
) -> None:
    client = redis.Redis.from_url(settings.redis_url or "")
    key = f"{settings.namespace}:test-lease"
    first = RedisLease(client, key, ttl=5)
    second = RedisLease(client, key, ttl=5)

    assert first.acquire() is True
    assert second.acquire() is False
    assert second.renew() is False
    first.release()
    assert second.acquire() is True
    assert first.renew() is False
    client.close()
