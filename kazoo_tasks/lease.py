"""A lease in Redis: one holder at a time, kept alive by renewal, taken over when it lapses.

The key holds the owner id of the process allowed to act (the changes follower, the
ecallmgr of one FreeSWITCH node). It is taken with ``SET NX PX`` and renewed or released by
compare-and-set scripts: only the owner may extend or delete it. Any role that needs "one
active, others on standby" can use it.

A holder renews well within the lease's lifetime (and steps down if it cannot), so a key
that is *missing* at renewal was not let lapse: Redis lost it (restarted without
persistence, flushed). The holder then takes it again, as anyone could, and learns that
Redis lost its data (:attr:`RedisLease.retaken`).
"""

from __future__ import annotations

import os
import socket
import time
import uuid

import redis

_RENEW = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
    redis.call('pexpire', KEYS[1], ARGV[2])
    return 1
end
if not holder then
    redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 2
end
return 0
"""

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


def owner_id() -> str:
    """A process's id in leases and heartbeats: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class RedisLease:
    """Hold ``key`` for ``ttl`` seconds at a time as ``owner``; renew well before it lapses."""

    def __init__(self, client: redis.Redis, key: str, ttl: float, owner: str | None = None):
        if ttl <= 0:
            raise ValueError("the lease TTL must be positive")
        self.client = client
        self.key = key
        self.ttl_ms = max(int(ttl * 1000), 1)
        self.owner = owner or owner_id()
        self.retaken = False
        """Whether the last :meth:`renew` found the key gone and took it again."""
        self._valid_until = 0.0  # monotonic; see valid()
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @property
    def ttl(self) -> float:
        """Lifetime of the lease without renewal, seconds."""
        return self.ttl_ms / 1000

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it."""
        sent = time.monotonic()
        taken = bool(self.client.set(self.key, self.owner, nx=True, px=self.ttl_ms))
        if taken:
            self._valid_until = sent + self.ttl
        return taken

    def acquire(self) -> bool:
        """Take the lease if free (or renew it if already ours); True when we hold it."""
        return self.try_acquire() or self.renew()

    def renew(self) -> bool:
        """Extend the lease (taking it again if its key vanished); False when another
        process holds it. :attr:`retaken` tells whether the key had vanished."""
        sent = time.monotonic()
        result = int(self._renew(keys=[self.key], args=[self.owner, self.ttl_ms]))
        self.retaken = result == 2
        self._valid_until = sent + self.ttl if result > 0 else 0.0
        return result > 0

    def valid(self) -> bool:
        """Whether the lease is still ours by this process's own clock: its last
        successful take or renewal was *sent* less than a TTL ago, so its key cannot
        have expired in Redis yet, and nobody else can hold it. A process that was frozen
        (SIGSTOP, a stalled VM) past that moment must assume it lost the lease, whatever
        it did just before; the monotonic clock runs on while a process is stopped."""
        return time.monotonic() < self._valid_until

    def release(self) -> None:
        """Give the lease up now, only if we still hold it (a standby may take it at once)."""
        self._valid_until = 0.0
        self._release(keys=[self.key], args=[self.owner])

    def holder(self) -> str | None:
        """Owner id of the current holder, if any."""
        value = self.client.get(self.key)
        return value.decode() if isinstance(value, bytes) else value
