"""Entries bound to origins are kept only while a changes process publishes: without a
holder of the changes lease nobody would announce an edit, so the caches flush and
lookups read the store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from kazoo_tasks.cache import FLUSHED, named_cache, origins
from kazoo_tasks.cache.listener import listener_for
from kazoo_tasks.config import Settings
from kazoo_tasks.keys import changes_lease_key
from tests.waiting import wait_for

DB = "account/ab/cd/ef0123456789abcdef0123456789"


@pytest.fixture
def client(settings: Settings) -> Iterator[redis.Redis]:
    value = redis.Redis.from_url(settings.redis_url or "")
    yield value
    value.close()


def test_given_no_changes_process_when_looking_up_then_nothing_is_kept_until_one_holds_the_lease_and_all_goes_when_it_is_gone(  # noqa: E501
    settings: Settings, client: redis.Redis
) -> None:
    cache = named_cache(settings)
    erased: list[str] = []
    builds: list[int] = []

    def lookup() -> Any:
        return cache.get_or_build(
            "cf1",
            lambda: builds.append(1) or "v1",
            origins=[origins.doc(DB, "cf1")],
            on_erase=lambda key, value, reason: erased.append(reason),
        )

    assert not listener_for(settings).wait_live(2)  # consuming, but nobody publishes
    lookup()
    lookup()
    assert len(builds) == 2 and "cf1" not in cache

    client.set(changes_lease_key(settings.namespace), "a changes process", px=60_000)
    assert listener_for(settings).wait_live(5)
    lookup()
    lookup()
    assert len(builds) == 3 and "cf1" in cache

    client.delete(changes_lease_key(settings.namespace))
    wait_for(lambda: "cf1" not in cache, timeout=5, what="the caches to flush")
    assert erased == [FLUSHED]
    lookup()
    assert "cf1" not in cache
