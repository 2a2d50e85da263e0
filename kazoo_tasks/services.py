"""Where the services are: configured URLs, or embedded ones started on demand.

This is the only module that decides between production servers and embedded defaults;
everything else asks it for a URL or a client and runs the same code either way.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

import redis
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import (
    ClusterDownError,
    RedisClusterException,
    SlotNotCoveredError,
    TryAgainError,
)

from kazoo_tasks.config import Settings
from kazoo_tasks.docstore.base import DocumentStore
from kazoo_tasks.embedded.redis_server import ensure_redis


def redis_url(settings: Settings) -> str:
    """URL of the Redis that holds call state, locks and caches (redis-py form)."""
    if settings.redis_url:
        return settings.redis_url
    return f"unix://{ensure_redis(settings.data_dir)}"


def broker_url(settings: Settings) -> str:
    """URL of the message broker (kombu form): RabbitMQ in production."""
    if settings.broker_url:
        return settings.broker_url
    return f"redis+socket://{ensure_redis(settings.data_dir)}"


def result_backend_url(settings: Settings) -> str | None:
    """URL of the Celery result backend (Redis); None (no backend: no task's result is
    read) on a Redis Cluster, which Celery cannot use as one."""
    if settings.result_backend:
        return settings.result_backend
    if settings.redis_url:
        return None if is_cluster_url(settings.redis_url) else settings.redis_url
    return f"redis+socket://{ensure_redis(settings.data_dir)}"


REDIS_ERRORS: tuple[type[Exception], ...] = (redis.RedisError, RedisClusterException)
"""Any failure of Redis. redis-py's cluster client raises :class:`RedisClusterException`,
which is no :class:`redis.RedisError`, when it finds no node to ask (a master died and the
cluster has not promoted its replica yet)."""
REDIS_UNAVAILABLE: tuple[type[Exception], ...] = (
    redis.ConnectionError,
    redis.TimeoutError,
    ClusterDownError,
    TryAgainError,
    SlotNotCoveredError,
)
"""Failures that pass: Redis unreachable, or a cluster's slot without a master for the few
seconds of a failover (``CLUSTERDOWN``, ``TRYAGAIN``, a slot nobody serves). Worth
retrying. Other cluster errors (a command the cluster client refuses, keys of two slots)
are bugs: they fail loudly."""

CLUSTER_SCHEME = "redis+cluster://"
"""``KAZOO_REDIS_URL`` in this form names the nodes of a Redis Cluster:
``redis+cluster://host:port,host:port,...`` (any of them that answers tells the others)."""


def is_cluster_url(url: str) -> bool:
    """Whether ``url`` names a Redis Cluster (:data:`CLUSTER_SCHEME`)."""
    return url.startswith(CLUSTER_SCHEME)


def cluster_nodes(url: str) -> list[ClusterNode]:
    """The startup nodes a :data:`CLUSTER_SCHEME` URL lists."""
    addresses = url[len(CLUSTER_SCHEME) :].split("/", 1)[0]
    nodes = []
    for address in filter(None, addresses.split(",")):
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"{url!r}: {address!r} is not host:port")
        nodes.append(ClusterNode(host, int(port)))
    if not nodes:
        raise ValueError(f"{url!r} names no node")
    return nodes


def new_redis_client(settings: Settings, **options: Any) -> redis.Redis:
    """A new client (its own connection pool) of the Redis that holds call state, decoding
    responses; ``options`` go to redis-py (timeouts). On a Redis Cluster URL it is a
    :class:`redis.cluster.RedisCluster`, which has the same commands, scripts and
    pipelines and sends each to the master of its key's slot. Every client of the code
    base comes from here or from :func:`redis_client`."""
    url = redis_url(settings)
    if is_cluster_url(url):
        client: redis.Redis = RedisCluster(  # type: ignore[assignment]
            startup_nodes=cluster_nodes(url), decode_responses=True, **options
        )
        return client
    return redis.Redis.from_url(url, decode_responses=True, **options)


@functools.cache
def redis_client(settings: Settings) -> redis.Redis:
    """A shared Redis client (connection pool) for this process."""
    return new_redis_client(settings)


def document_store(settings: Settings) -> DocumentStore:
    """The document store: CouchDB when ``KAZOO_COUCHDB_URL`` is set, else embedded."""
    if settings.couchdb_url:
        from kazoo_tasks.docstore.couch import CouchDocumentStore

        return CouchDocumentStore(settings.couchdb_url)
    from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore

    return EmbeddedDocumentStore(settings.data_dir / "documents.sqlite3")


_process_stores: dict[tuple[Settings, int], DocumentStore] = {}
_process_stores_lock = threading.Lock()


def process_document_store(settings: Settings) -> DocumentStore:
    """This process's long-lived document store for ``settings`` (made on first use; a
    forked child makes its own). Both back ends are safe to share between threads; use it
    where a store per call or per task would reconnect every time (workers)."""
    key = (settings, os.getpid())
    with _process_stores_lock:
        store = _process_stores.get(key)
        if store is None:
            store = _process_stores[key] = document_store(settings)
        return store
