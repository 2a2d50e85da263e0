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
from collections.abc import Callable

import gevent
from gevent.event import Event

from kazoo_tasks.lease import RedisLease
from kazoo_tasks.services import REDIS_ERRORS

log = logging.getLogger(__name__)


def keep_lease(lease: RedisLease, lost: Event, on_data_loss: Callable[[bool], None]) -> None:
    """Renew ``lease`` until it is lost, then set ``lost`` (run in a greenlet).

    It also watches Redis itself: when the server restarted (its ``run_id`` changed) it may
    have lost up to its last second of writes (``appendfsync everysec``), or everything
    (no persistence: then the lease key itself had vanished). ``on_data_loss(wiped)`` is
    called then, ``wiped`` telling the second case."""
    interval = lease.ttl / 3
    last_renewed = time.monotonic()
    server = _run_id(lease)
    while True:
        gevent.sleep(interval)
        try:
            if not lease.renew():
                holder = lease.holder()
                if holder is None:  # it lapsed (we were paused) and its taker left already
                    log.info("lease %s lapsed: stepping down", lease.key)
                else:
                    log.warning("lease %s was taken by %s: stepping down", lease.key, holder)
                break
            last_renewed = time.monotonic()
            current = _run_id(lease)
            if lease.retaken or (server is not None and current != server):
                log.error(
                    "Redis %s (lease %s): storing again what this process knows",
                    "lost its data" if lease.retaken else "restarted",
                    lease.key,
                )
                on_data_loss(lease.retaken)
            server = current
        except REDIS_ERRORS as exc:
            if time.monotonic() - last_renewed + interval >= lease.ttl:
                log.error("cannot renew lease %s (%s): stepping down", lease.key, exc)
                break
            log.warning("cannot renew lease %s (%s); retrying", lease.key, exc)
    lost.set()


def _run_id(lease: RedisLease) -> str | None:
    """The Redis server's run id (a new one at every start); None if it cannot be read."""
    try:
        return str(lease.client.info("server").get("run_id"))
    except REDIS_ERRORS:
        return None
