"""A stand-in for CouchDB's ``_db_updates`` feed on servers that lack it (pouchdb-server).

It diffs every database's ``update_seq`` against the snapshot named by ``since``. That
costs one request per database per poll, which is fine for a test server; CouchDB 3 has
the real feed and never comes here. A ``since`` this process did not hand out (another
process, a restart) reads as "before everything": every database is reported, and the
reader's own per-database checkpoints make that harmless.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from typing import Protocol

from kazoo_tasks.docstore.base import DbUpdate, DbUpdatesPage

_KEPT_SNAPSHOTS = 64
_POLL_INTERVAL_S = 0.2


class SeqSource(Protocol):
    """What the stand-in needs from a store: every database's update_seq."""

    def update_seqs(self) -> dict[str, str]: ...


class PolledDbUpdates:
    """Database events computed by comparing snapshots of update_seqs."""

    def __init__(self, source: SeqSource) -> None:
        self._source = source
        self._prefix = f"poll-{uuid.uuid4().hex[:8]}-"
        self._counter = 0
        self._snapshots: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def _remember(self, snapshot: dict[str, str]) -> str:
        with self._lock:
            self._counter += 1
            token = f"{self._prefix}{self._counter}"
            self._snapshots[token] = snapshot
            while len(self._snapshots) > _KEPT_SNAPSHOTS:
                self._snapshots.popitem(last=False)
        return token

    def read(self, since: str, timeout: float) -> DbUpdatesPage:
        """Events after ``since``; with ``timeout`` > 0, poll until one shows up."""
        if since == "now":
            return DbUpdatesPage(results=[], last_seq=self._remember(self._source.update_seqs()))
        with self._lock:
            before = self._snapshots.get(since, {})
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            current = self._source.update_seqs()
            events = _diff(before, current)
            if events or time.monotonic() >= deadline:
                break
            time.sleep(min(_POLL_INTERVAL_S, max(deadline - time.monotonic(), 0)))
        token = self._remember(current) if events or since not in self._snapshots else since
        return DbUpdatesPage(
            results=[DbUpdate(db, kind, token) for db, kind in events], last_seq=token
        )


def _diff(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str]]:
    events = [(db, "created") for db in after if db not in before]
    events += [(db, "updated") for db in after if db in before and before[db] != after[db]]
    events += [(db, "deleted") for db in before if db not in after]
    return sorted(events)
