"""A per-process cache in the spirit of Kazoo's kz_cache.

* each entry has its own TTL, and may name its :mod:`origins <kazoo_tasks.cache.origins>`:
  a doc-change notification touching any of them erases it;
* callbacks run when an entry goes (``expired``, ``erased``, ``changed`` or ``flushed``);
* :meth:`Cache.get_or_build` runs one builder per key at a time: concurrent callers of
  the same key wait for its result (no stampede), and a change arriving while the
  builder runs keeps the (possibly stale) result out of the cache;
* entries with origins are kept only while change notifications are flowing (see
  :mod:`kazoo_tasks.cache.listener`): without them nobody could erase the entry.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from kazoo_tasks.cache.origins import Origin
from kazoo_tasks.doc_changes import DocChange
from kazoo_tasks.metrics import CACHE_INVALIDATIONS, CACHE_LOOKUPS

log = logging.getLogger(__name__)

T = TypeVar("T")

EXPIRED = "expired"
ERASED = "erased"
CHANGED = "changed"
FLUSHED = "flushed"

EraseCallback = Callable[[Hashable, Any, str], None]
"""Called as ``callback(key, value, reason)`` after an entry left the cache."""


class Invalidation(Protocol):
    """Where a cache's change notifications come from."""

    def attach(self, cache: Cache) -> bool:
        """Make sure ``cache`` receives notifications; True when they are flowing now."""
        ...


@dataclass
class _Entry:
    value: Any
    expires_at: float | None
    origins: tuple[Origin, ...]
    callbacks: list[EraseCallback] = field(default_factory=list)


@dataclass
class _Flight:
    """A build in progress: the leader runs it, the others wait on ``done``."""

    origins: tuple[Origin, ...]
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None
    stale: bool = False


class Cache:
    """Key → value with per-entry TTL, origin bindings, erase callbacks and one builder
    per key. Thread-safe."""

    def __init__(
        self,
        name: str = "default",
        *,
        default_ttl: float | None = 300.0,
        invalidation: Invalidation | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.default_ttl = default_ttl
        self.invalidation = invalidation
        self._clock = clock
        self._lock = threading.RLock()
        self._entries: dict[Hashable, _Entry] = {}
        self._by_db: dict[str, set[Hashable]] = {}
        self._flights: dict[Hashable, _Flight] = {}
        self._deadlines: list[tuple[float, int, Hashable]] = []
        self._tiebreak = itertools.count()

    def __repr__(self) -> str:
        return f"Cache({self.name!r}, {len(self._entries)} entries)"

    def __len__(self) -> int:
        self.sweep()
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return self.get(key, _ABSENT) is not _ABSENT

    # -- reading -----------------------------------------------------------------------

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value of a live entry, or ``default``."""
        self.sweep()
        with self._lock:
            entry = self._entries.get(key)
            return default if entry is None else entry.value

    def get_or_build(
        self,
        key: Hashable,
        builder: Callable[[], T],
        *,
        origins: Iterable[Origin] = (),
        ttl: float | None = None,
        on_erase: EraseCallback | None = None,
    ) -> T:
        """The cached value of ``key``, or ``builder()``'s result, stored for next time.

        One caller builds while concurrent callers of the same key wait and get its
        result (or its exception). ``ttl`` defaults to the cache's ``default_ttl``.
        """
        origins = tuple(origins)
        flowing = self.invalidation.attach(self) if self.invalidation and origins else True
        self.sweep()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                CACHE_LOOKUPS.labels(self.name, "hit").inc()
                return entry.value  # type: ignore[no-any-return]
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight(origins)
        CACHE_LOOKUPS.labels(self.name, "miss" if leader else "shared").inc()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value  # type: ignore[no-any-return]
        try:
            flight.value = builder()
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                self._flights.pop(key, None)
                if flight.error is None and not flight.stale and flowing:
                    self._put(key, flight.value, ttl, origins, on_erase)
            flight.done.set()
        return flight.value  # type: ignore[no-any-return]

    # -- writing -----------------------------------------------------------------------

    def store(
        self,
        key: Hashable,
        value: Any,
        *,
        ttl: float | None = None,
        origins: Iterable[Origin] = (),
        on_erase: EraseCallback | None = None,
    ) -> None:
        """Put a value in the cache (replacing, without callbacks, any previous one)."""
        origins = tuple(origins)
        if self.invalidation and origins and not self.invalidation.attach(self):
            return
        with self._lock:
            self._put(key, value, ttl, origins, on_erase)

    def _put(
        self,
        key: Hashable,
        value: Any,
        ttl: float | None,
        origins: tuple[Origin, ...],
        on_erase: EraseCallback | None,
    ) -> None:
        self._unindex(key)
        ttl = self.default_ttl if ttl is None else ttl
        expires_at = None if ttl is None else self._clock() + ttl
        self._entries[key] = _Entry(value, expires_at, origins, [on_erase] if on_erase else [])
        for origin in origins:
            self._by_db.setdefault(origin.db, set()).add(key)
        if expires_at is not None:
            heapq.heappush(self._deadlines, (expires_at, next(self._tiebreak), key))

    def _unindex(self, key: Hashable) -> _Entry | None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            for origin in entry.origins:
                keys = self._by_db.get(origin.db)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self._by_db[origin.db]
        return entry

    # -- erasing -----------------------------------------------------------------------

    def erase(self, key: Hashable) -> bool:
        """Remove one entry; True if it was there."""
        with self._lock:
            entry = self._unindex(key)
        if entry is not None:
            _notify(key, entry, ERASED)
        return entry is not None

    def flush(self) -> int:
        """Remove every entry (and keep builds in progress out); returns how many went."""
        with self._lock:
            gone = list(self._entries.items())
            self._entries.clear()
            self._by_db.clear()
            self._deadlines.clear()
            for flight in self._flights.values():
                flight.stale = True
        for key, entry in gone:
            _notify(key, entry, FLUSHED)
        CACHE_INVALIDATIONS.labels(self.name, FLUSHED).inc(len(gone))
        return len(gone)

    def handle_change(self, change: DocChange) -> int:
        """Erase every entry (and keep out every build) that ``change`` touches."""
        with self._lock:
            touched = [
                key
                for key in self._by_db.get(change.db, ())
                if any(o.touched_by(change) for o in self._entries[key].origins)
            ]
            gone = [(key, self._unindex(key)) for key in touched]
            for flight in self._flights.values():
                if any(o.touched_by(change) for o in flight.origins):
                    flight.stale = True
        for key, entry in gone:
            if entry is not None:
                _notify(key, entry, CHANGED)
        CACHE_INVALIDATIONS.labels(self.name, CHANGED).inc(len(gone))
        return len(gone)

    def reset_after_fork(self) -> None:
        """In a forked child: start empty with fresh locks. Inherited entries were kept
        fresh by the parent's listener, not ours, and builds in flight belong to threads
        that do not exist here. No callbacks run (they belong to the parent)."""
        self._lock = threading.RLock()
        self._entries.clear()
        self._by_db.clear()
        self._flights.clear()
        self._deadlines.clear()

    def sweep(self) -> int:
        """Remove expired entries (running their callbacks); returns how many went."""
        now = self._clock()
        expired = []
        with self._lock:
            while self._deadlines and self._deadlines[0][0] <= now:
                deadline, _, key = heapq.heappop(self._deadlines)
                entry = self._entries.get(key)
                if entry is not None and entry.expires_at == deadline:
                    self._unindex(key)
                    expired.append((key, entry))
        for key, entry in expired:
            _notify(key, entry, EXPIRED)
        return len(expired)


_ABSENT = object()


def _notify(key: Hashable, entry: _Entry, reason: str) -> None:
    for callback in entry.callbacks:
        try:
            callback(key, entry.value, reason)
        except Exception:
            log.exception("cache callback for %r (%s) failed", key, reason)
