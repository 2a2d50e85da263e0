"""A back end that goes away is a 503 in Kazoo's envelope (retry later), never a 500:
Redis (token revocations, login limits) stopped under a running API, then back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.app import create_app
from api.server import RunningServer, start_in_thread
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore
from kazoo_tasks.embedded.redis_server import ensure_redis, stop_redis
from tests.crossbar import Crossbar, LoggedIn, new_account


@pytest.fixture
def private_redis_settings(api_settings: Settings) -> Iterator[Settings]:
    """Settings on a Redis of this test's own (the embedded one, in its data dir)."""
    settings = api_settings.with_overrides(redis_url=None)
    ensure_redis(settings.data_dir)
    yield settings
    stop_redis(settings.data_dir)


@pytest.fixture
def server(private_redis_settings: Settings, store: DocumentStore) -> Iterator[RunningServer]:
    running = start_in_thread(create_app(private_redis_settings, store))
    yield running
    running.stop()


def test_given_redis_stopped_when_calling_then_503_and_back_to_normal_once_it_returns(
    root: LoggedIn, private_redis_settings: Settings, store: DocumentStore, server: RunningServer
) -> None:
    path = f"/accounts/{root.id}"
    assert root.client.get(path).status_code == 200

    stop_redis(private_redis_settings.data_dir)
    for answer in (
        root.client.get(path),
        root.client.put("/api_auth", {"api_key": root.api_key}, token=""),
        root.client.delete("/token_auth"),
    ):
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["message"] == "service_unavailable" and answer.headers["Retry-After"]

    ensure_redis(private_redis_settings.data_dir)
    assert root.client.get(path).status_code == 200
    assert Crossbar(server.url).login(root.api_key)
    assert new_account(store, server).client.get(path).status_code == 403
