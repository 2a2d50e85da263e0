"""The Redis lease: renewal by its holder, refusal to others, retaking a vanished key."""

from __future__ import annotations

import uuid

import redis

from kazoo_tasks.config import Settings
from kazoo_tasks.lease import RedisLease


def test_given_a_held_lease_whose_key_vanishes_when_renewed_then_the_holder_retakes_it_and_knows(
    settings: Settings,
) -> None:
    client = redis.Redis.from_url(settings.redis_url or "", decode_responses=True)
    key = f"{settings.namespace}:lease:{uuid.uuid4().hex}"
    holder, other = RedisLease(client, key, 3.0), RedisLease(client, key, 3.0)
    assert holder.try_acquire() and not other.try_acquire()

    assert holder.renew() and not holder.retaken
    client.delete(key)  # what a Redis restart without persistence does
    assert holder.renew() and holder.retaken
    assert client.get(key) == holder.owner and 0 < client.pttl(key) <= 3000
    assert not other.renew() and not other.retaken
    client.close()
