"""The index of live calls per FreeSWITCH node, which the reaper walks.

These keys are not part of a call's family (they index many calls), so they are
updated after a call's commit, not inside it; the index may briefly list a call that
has just ended, and the reaper treats that as harmless.
"""

from __future__ import annotations

import redis
from redis.client import Pipeline

from kazoo_tasks.config import Settings


def node_alive_key(namespace: str, node: str) -> str:
    """The heartbeat key ecallmgr keeps (with a short TTL) while it is connected to ``node``."""
    return f"{namespace}:node:{node}:alive"


class ActiveCalls:
    """Live calls by node, scored by the time of their last applied event."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._ns = settings.namespace

    def _calls_key(self, node: str) -> str:
        return f"{self._ns}:node:{node}:calls"

    def _nodes_key(self) -> str:
        return f"{self._ns}:nodes"

    def _down_key(self, node: str) -> str:
        return f"{self._ns}:node:{node}:down_since"

    def touch(self, call_id: str, node: str, at: float, pipe: Pipeline | None = None) -> None:
        """Record activity on a live call (queued on ``pipe`` when given)."""
        target = pipe if pipe is not None else self._client.pipeline(transaction=False)
        target.zadd(self._calls_key(node), {call_id: at})
        target.sadd(self._nodes_key(), node)
        if pipe is None:
            target.execute()

    def forget(self, call_id: str, node: str, pipe: Pipeline | None = None) -> None:
        """Drop an ended call from the index (queued on ``pipe`` when given)."""
        (pipe if pipe is not None else self._client).zrem(self._calls_key(node), call_id)

    def nodes(self) -> list[str]:
        """Every node that has had a call."""
        return sorted(self._client.smembers(self._nodes_key()))

    def calls(self, node: str, idle_since: float | None = None) -> list[str]:
        """Calls of ``node``; with ``idle_since``, only those without activity after it."""
        high = "+inf" if idle_since is None else f"({idle_since}"
        return list(self._client.zrangebyscore(self._calls_key(node), "-inf", high))

    def down_for(self, node: str, at: float) -> float | None:
        """How long ``node``'s heartbeat has been missing (None while it is alive)."""
        if self._client.exists(node_alive_key(self._ns, node)):
            self._client.delete(self._down_key(node))
            return None
        self._client.set(self._down_key(node), at, nx=True)
        since = float(self._client.get(self._down_key(node)) or at)
        return max(at - since, 0.0)
