"""The cache's listener when the broker connection drops: flush, reconnect, resubscribe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from kombu import Connection

from kazoo_tasks.bus import docs_exchange
from kazoo_tasks.cache import FLUSHED, named_cache, origins
from kazoo_tasks.cache.listener import listener_for
from kazoo_tasks.config import Settings
from kazoo_tasks.doc_changes import DOC_EDITED, DocChange
from kazoo_tasks.keys import changes_lease_key
from tests.tcp_proxy import TcpProxy
from tests.waiting import wait_for

DB = "account/12/34/567890abcdef0123456789abcdef"


@pytest.fixture
def proxied(settings: Settings) -> Iterator[tuple[Settings, TcpProxy]]:
    """Settings whose broker connections go through a proxy the test can cut. The test
    publishes notifications itself, so it holds the changes lease as a changes process
    would."""
    redis.Redis.from_url(settings.redis_url or "").set(
        changes_lease_key(settings.namespace), "this test"
    )
    proxy = TcpProxy(("127.0.0.1", 5672))
    value = settings.with_overrides(broker_url=f"amqp://guest:guest@127.0.0.1:{proxy.port}//")
    yield value, proxy
    listener_for(value).stop()
    proxy.close()


def test_given_a_live_listener_when_its_connection_drops_then_caches_flush_and_it_resubscribes(
    settings: Settings, proxied: tuple[Settings, TcpProxy]
) -> None:
    proxy_settings, proxy = proxied
    cache = named_cache(proxy_settings)
    erased: list[str] = []
    listener = listener_for(proxy_settings)
    assert listener.wait_live(10)

    def lookup() -> str:
        return cache.get_or_build(
            "cf1",
            lambda: "v1",
            origins=[origins.doc(DB, "cf1")],
            on_erase=lambda key, value, reason: erased.append(reason),
        )

    lookup()
    assert "cf1" in cache

    proxy.cut()

    wait_for(lambda: erased == [FLUSHED], what="the caches to flush")
    assert "cf1" not in cache
    assert listener.wait_live(20)
    lookup()
    assert "cf1" in cache

    change = DocChange(DOC_EDITED, DB, "cf1", "2-x", pvt_type="callflow")
    with Connection(settings.broker_url) as conn:
        conn.Producer(serializer="json").publish(
            change.to_body(),
            exchange=docs_exchange(settings.namespace),
            routing_key=change.routing_key,
            declare=[docs_exchange(settings.namespace)],
        )

    wait_for(lambda: "cf1" not in cache, what="the notification after reconnect to apply")
    assert erased == [FLUSHED, "changed"]
