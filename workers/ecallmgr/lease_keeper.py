"""One active ecallmgr per FreeSWITCH node: keeping the node's lease from a greenlet.

The key ``<ns>:node:<name>:lease`` is a :class:`~kazoo_tasks.lease.RedisLease` holding the
owner id of the process allowed to connect to that node. The active process renews it
every third of its lifetime. A process that cannot renew in time (Redis unreachable) steps
down before the lease can expire under it, so two processes never believe they are active
at once for longer than a renewal slot.
"""

from __future__ import annotations

import logging
import time

import gevent
import redis
from gevent.event import Event

from kazoo_tasks.lease import RedisLease

log = logging.getLogger(__name__)


def keep_lease(lease: RedisLease, lost: Event) -> None:
    """Renew ``lease`` until it is lost, then set ``lost`` (run in a greenlet)."""
    interval = lease.ttl / 3
    last_renewed = time.monotonic()
    while True:
        gevent.sleep(interval)
        try:
            if not lease.renew():
                log.error("lease %s was taken by %s: stepping down", lease.key, lease.holder())
                break
            last_renewed = time.monotonic()
        except redis.RedisError as exc:
            if time.monotonic() - last_renewed + interval >= lease.ttl:
                log.error("cannot renew lease %s (%s): stepping down", lease.key, exc)
                break
            log.warning("cannot renew lease %s (%s); retrying", lease.key, exc)
    lost.set()
