"""One active ecallmgr per FreeSWITCH node: a lease in Redis.

The key ``<ns>:node:<name>:lease`` holds the owner id of the process allowed to connect
to that node. It is taken with ``SET NX PX`` and renewed every third of its lifetime by a
compare-and-set script (only the owner may extend or delete it). A process that cannot
renew in time (Redis unreachable) steps down before the lease can expire under it, so
two processes never believe they are active at once for longer than a renewal slot.
"""

from __future__ import annotations

import logging
import time

import gevent
import redis
from gevent.event import Event

log = logging.getLogger(__name__)

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class NodeLease:
    """The lease of one node, seen from one process (``owner``)."""

    def __init__(self, client: redis.Redis, key: str, owner: str, ttl: float):
        if ttl <= 0:
            raise ValueError("the lease TTL must be positive")
        self.client, self.key, self.owner = client, key, owner
        self.ttl_ms = int(ttl * 1000)

    @property
    def ttl(self) -> float:
        """Lifetime of the lease without renewal, seconds."""
        return self.ttl_ms / 1000

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it."""
        return bool(self.client.set(self.key, self.owner, nx=True, px=self.ttl_ms))

    def holder(self) -> str | None:
        """Owner id of the current holder, if any."""
        return self.client.get(self.key)

    def renew(self) -> bool:
        """Extend the lease; False when it is no longer ours."""
        return bool(self.client.eval(_RENEW, 1, self.key, self.owner, self.ttl_ms))

    def release(self) -> None:
        """Give the lease up now (a standby may take it at once)."""
        self.client.eval(_RELEASE, 1, self.key, self.owner)

    def keep(self, lost: Event) -> None:
        """Renew until the lease is lost, then set ``lost`` (run in a greenlet)."""
        interval = self.ttl / 3
        last_renewed = time.monotonic()
        while True:
            gevent.sleep(interval)
            try:
                if not self.renew():
                    log.error("lease %s was taken by %s: stepping down", self.key, self.holder())
                    break
                last_renewed = time.monotonic()
            except redis.RedisError as exc:
                if time.monotonic() - last_renewed + interval >= self.ttl:
                    log.error("cannot renew lease %s (%s): stepping down", self.key, exc)
                    break
                log.warning("cannot renew lease %s (%s); retrying", self.key, exc)
        lost.set()
