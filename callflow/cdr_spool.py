"""The CDR spool: CDRs of ended calls wait in Redis and are stored in batches.

A call's last step leaves its CDR in the outbox like a command; publishing it pushes the
CDR on the spool (one Redis round trip) instead of sending a Celery task per call. The
push that finds no flush scheduled schedules one: the
:data:`~kazoo_tasks.bus.WRITE_CDRS_TASK` task, sent :attr:`Settings.cdr_flush_delay`
seconds later, so that the CDRs of every call that ends meanwhile ride on the same task.

The flush takes up to :data:`BATCH` CDRs into a batch key named after its task id (one
Lua step), stores them, then deletes the batch. Its task is acknowledged only once it
ran and is retried while the store fails, under the same id: a flush that died or failed
resumes its own batch; a CDR stored before is found there (its id is deterministic) and
skipped. Celery beat also sends a flush every minute
(:data:`kazoo_tasks.celery_app.CDR_SWEEP_INTERVAL`), for CDRs whose flush was never sent
(the worker died between the push and the send).

Every key shares the hash tag ``{<namespace>:cdrs}``: one Redis Cluster slot.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from kazoo_tasks import services
from kazoo_tasks.config import Settings

BATCH = 500
"""Most CDRs one flush takes."""
SCHEDULED_TTL = 5
"""Seconds a "flush scheduled" mark lasts at most: a flush that was never sent, or that a
dead worker holds (a countdown task waits in the worker that took it until the broker
sees that worker gone), stops holding back the next one after this."""
BATCH_TTL = 7 * 24 * 3600
"""Seconds a taken batch is kept for its flush to resume (its task is durable)."""

_TAKE = """
local pending, batch, scheduled = KEYS[1], KEYS[2], KEYS[3]
local limit, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
if redis.call('EXISTS', batch) == 1 then
  return {redis.call('LRANGE', batch, 0, -1), redis.call('LLEN', pending)}
end
local cdrs = redis.call('LRANGE', pending, 0, limit - 1)
if #cdrs > 0 then
  redis.call('RPUSH', batch, unpack(cdrs))
  redis.call('EXPIRE', batch, ttl)
  redis.call('LTRIM', pending, #cdrs, -1)
end
local left = redis.call('LLEN', pending)
if left == 0 then
  redis.call('DEL', scheduled)
end
return {cdrs, left}
"""


@dataclass(frozen=True)
class Batch:
    """What one flush took: the CDRs, and how many are still waiting behind them."""

    cdrs: list[dict[str, Any]]
    left: int


class CdrSpool:
    """The spool of one namespace."""

    def __init__(self, client: redis.Redis, namespace: str, flush_delay: float) -> None:
        self.client = client
        self.flush_delay = flush_delay
        tag = f"{{{namespace}:cdrs}}"
        self.pending_key = f"{namespace}:{tag}:pending"
        self.scheduled_key = f"{namespace}:{tag}:scheduled"
        self._batch_prefix = f"{namespace}:{tag}:batch:"
        self._take = client.register_script(_TAKE)

    def push(self, cdrs: Sequence[dict[str, Any]]) -> bool:
        """Push ``cdrs`` and set the "flush scheduled" mark (one round trip); True when the
        mark was not set, so this push must send the flush."""
        pipe = self.client.pipeline(transaction=False)
        pipe.rpush(self.pending_key, *(json.dumps(cdr, separators=(",", ":")) for cdr in cdrs))
        pipe.set(self.scheduled_key, "1", nx=True, ex=SCHEDULED_TTL)
        return bool(pipe.execute()[-1])

    def take(self, flush_id: str) -> Batch:
        """The batch of flush ``flush_id``: the one it took before (it is resuming), else
        up to :data:`BATCH` CDRs from the spool."""
        cdrs, left = self._take(
            keys=[self.pending_key, self._batch_prefix + flush_id, self.scheduled_key],
            args=[BATCH, BATCH_TTL],
        )
        return Batch([json.loads(cdr) for cdr in cdrs], int(left))

    def done(self, flush_id: str) -> None:
        """Flush ``flush_id`` stored its batch."""
        self.client.delete(self._batch_prefix + flush_id)

    def waiting(self) -> int:
        """CDRs in the spool, not taken by a flush yet."""
        return int(self.client.llen(self.pending_key))


def cdr_spool(settings: Settings) -> CdrSpool:
    """The spool of ``settings``' namespace, on the process's Redis client."""
    return CdrSpool(services.redis_client(settings), settings.namespace, settings.cdr_flush_delay)
