"""ACDc against the shared Redis, in a namespace of its own per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from kazoo_tasks.config import Settings


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def client(settings: Settings) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(settings.redis_url or "", decode_responses=True)
    yield connection
    for key in connection.scan_iter(f"{settings.namespace}:*", count=1000):
        connection.delete(key)
    connection.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()
