"""Where the services are: configured URLs, or embedded ones started on demand.

This is the only module that decides between production servers and embedded defaults;
everything else asks it for a URL or a client and runs the same code either way.
"""

from __future__ import annotations

import functools
import os
import threading

import redis

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


def result_backend_url(settings: Settings) -> str:
    """URL of the Celery result backend (Redis)."""
    if settings.result_backend:
        return settings.result_backend
    if settings.redis_url:
        return settings.redis_url
    return f"redis+socket://{ensure_redis(settings.data_dir)}"


@functools.cache
def redis_client(settings: Settings) -> redis.Redis:
    """A shared Redis client (connection pool) for this process."""
    return redis.Redis.from_url(redis_url(settings), decode_responses=True)


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
