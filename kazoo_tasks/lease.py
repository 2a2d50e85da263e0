"""A lease in Redis: one holder at a time, kept alive by renewal, taken over when it lapses.

The changes process uses one so that only one follower publishes notifications while
standbys wait; any role that needs "one active, others on standby" can use it too.
"""

from __future__ import annotations

import os
import socket
import uuid

import redis

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLease:
    """Hold ``key`` for ``ttl`` seconds at a time; renew well before it lapses."""

    def __init__(self, client: redis.Redis, key: str, ttl: float, holder: str | None = None):
        self.client = client
        self.key = key
        self.ttl_ms = max(int(ttl * 1000), 1)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    def acquire(self) -> bool:
        """Take the lease if free (or renew it if already ours); True when we hold it."""
        if self.client.set(self.key, self.holder, nx=True, px=self.ttl_ms):
            return True
        return self.renew()

    def renew(self) -> bool:
        """Extend the lease; False when it is no longer ours."""
        return bool(self._renew(keys=[self.key], args=[self.holder, self.ttl_ms]))

    def release(self) -> None:
        """Give the lease up (only if we still hold it)."""
        self._release(keys=[self.key], args=[self.holder])

    def current_holder(self) -> str | None:
        """Who holds the lease now, if anyone."""
        value = self.client.get(self.key)
        return value.decode() if isinstance(value, bytes) else value
