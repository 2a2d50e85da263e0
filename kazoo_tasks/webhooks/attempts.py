"""The last delivery attempts of each account's hooks (Kazoo's ``webhooks/attempts``).

Kazoo keeps them as documents of the account's monthly database; here they are a capped
Redis list per account (the newest :data:`KEPT` attempts, for :data:`KEPT_FOR` seconds):
they are for debugging a customer's server, they come at the rate of the calls, and a
document per attempt would load the store and its change feed for nothing.
"""

from __future__ import annotations

import json
from typing import Any

import redis

KEPT = 200
"""Attempts kept per account."""
KEPT_FOR = 7 * 24 * 3600


def attempts_key(namespace: str, account_id: str) -> str:
    return f"{namespace}:webhooks:attempts:{account_id}"


class Attempts:
    """Record and read attempts, newest first."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.client = client
        self.namespace = namespace

    def record(self, account_id: str, attempt: dict[str, Any]) -> None:
        """Keep ``attempt`` (Kazoo's fields: hook_id, result, reason, ...)."""
        key = attempts_key(self.namespace, account_id)
        pipe = self.client.pipeline(transaction=False)
        pipe.lpush(key, json.dumps(attempt))
        pipe.ltrim(key, 0, KEPT - 1)
        pipe.expire(key, KEPT_FOR)
        pipe.execute()

    def list(self, account_id: str, hook_id: str | None = None) -> list[dict[str, Any]]:
        """The account's attempts (one hook's, with ``hook_id``), newest first."""
        raw = self.client.lrange(attempts_key(self.namespace, account_id), 0, KEPT - 1)
        found = [json.loads(item) for item in raw]
        return [a for a in found if hook_id is None or a.get("hook_id") == hook_id]
