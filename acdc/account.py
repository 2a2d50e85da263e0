"""What every holder of one account's call-center state in Redis has: the client (with
``decode_responses=True``), the namespace, the account and the clock its changes are
stamped with."""

from __future__ import annotations

import time
from collections.abc import Callable

import redis


class AccountState:
    """Base of :class:`acdc.agent.Agents` and :class:`acdc.queue.Queues`."""

    def __init__(
        self,
        client: redis.Redis,
        namespace: str,
        account_id: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.account_id = account_id
        self.clock = clock
        self.prepare()

    def prepare(self) -> None:
        """What a subclass sets up once its Redis client is known (its Lua scripts)."""
