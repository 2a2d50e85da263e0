"""Running the real ``kazoo-tasks changes`` command as a subprocess for tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from kazoo_tasks.cache.listener import listener_for
from kazoo_tasks.config import Settings
from tests.child_processes import stop
from tests.waiting import wait_for

KAZOO_TASKS = Path(sys.executable).parent / "kazoo-tasks"


def changes_process(
    settings: Settings, log_path: Path, *, couchdb_url: str | None = None, lease_ttl: float = 2.0
) -> subprocess.Popen[bytes]:
    """Start ``kazoo-tasks changes`` configured like ``settings``; the caller stops it."""
    env = {
        **os.environ,
        "KAZOO_NAMESPACE": settings.namespace,
        "KAZOO_DATA_DIR": str(settings.data_dir),
        "KAZOO_BROKER_URL": settings.broker_url or "",
        "KAZOO_REDIS_URL": settings.redis_url or "",
        "KAZOO_CHANGES_LEASE_TTL": str(lease_ttl),
        "KAZOO_LOG_LEVEL": "INFO",
    }
    env.pop("KAZOO_COUCHDB_URL", None)
    if couchdb_url:
        env["KAZOO_COUCHDB_URL"] = couchdb_url
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [str(KAZOO_TASKS), "changes"], env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT
    )


def wait_primed(client: redis.Redis, settings: Settings, timeout: float = 20) -> None:
    """Wait until a changes process has set its starting checkpoints (from then on every
    write is published)."""
    wait_for(
        lambda: client.exists(f"{settings.namespace}:changes:db_updates_since"),
        timeout,
        "a changes process to prime its checkpoints",
    )


@contextmanager
def changes_process_running(
    settings: Settings, log_dir: Path, couchdb_url: str | None = None
) -> Iterator[None]:
    """The real ``kazoo-tasks changes`` process, primed, and this process's listener live."""
    process = changes_process(settings, log_dir / "changes.log", couchdb_url=couchdb_url)
    client = redis.Redis.from_url(settings.redis_url or "")
    try:
        wait_primed(client, settings)
        assert listener_for(settings).wait_live(10)
        yield
    finally:
        stop(process)
        listener_for(settings).stop()
        client.close()
