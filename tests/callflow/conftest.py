"""Fixtures for engine tests: a Celery app and in-process worker on the real RabbitMQ and
Redis, the embedded document store, the switch stand-in, and the REST API over the same
store (for flows written through the API)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from celery import Celery
from celery.contrib.testing.worker import start_worker

from api.app import create_app
from api.server import RunningServer, start_in_thread
from callflow.cdr import ANONYMOUS_CDRS_DB
from callflow.router import claim_numbers
from kazoo_tasks import services
from kazoo_tasks.callstate import CallStore
from kazoo_tasks.celery_app import make_app
from kazoo_tasks.docstore import DocumentStore, NotFound, account_db
from kazoo_tasks.timers import TimerWheel
from tests.conftest import TEST_BROKER_URL
from tests.crossbar import LoggedIn, new_account
from tests.switch import SwitchStandIn

ACCOUNT_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def node(module: str, data: dict | None = None, **children: dict) -> dict[str, Any]:
    """A callflow node; children by key (``_`` for the wildcard: pass ``_=...``)."""
    return {"module": module, "data": data or {}, "children": children}


@pytest.fixture
def app(settings) -> Celery:
    return make_app(settings)


@pytest.fixture
def documents(settings) -> Iterator[DocumentStore]:
    store = services.document_store(settings)
    store.ensure_db(account_db(ACCOUNT_ID))
    yield store
    store.close()


@pytest.fixture
def save_callflow(documents) -> Callable[..., dict]:
    """Save a callflow in the test account and claim its numbers."""

    def save(
        callflow_id: str,
        flow: dict,
        numbers: list[str] = (),  # type: ignore[assignment]
        patterns: list[str] = (),  # type: ignore[assignment]
        account_id: str = ACCOUNT_ID,
    ) -> dict:
        documents.ensure_db(account_db(account_id))
        doc = documents.save(
            account_db(account_id),
            {
                "_id": callflow_id,
                "pvt_type": "callflow",
                "numbers": list(numbers),
                "patterns": list(patterns),
                "flow": flow,
            },
        )
        claim_numbers(documents, account_id, callflow_id, list(numbers))
        return doc

    return save


@pytest.fixture
def worker(app):
    with start_worker(
        app, pool="threads", concurrency=4, perform_ping_check=False, loglevel="WARNING"
    ) as running:
        yield running


@pytest.fixture
def switch(settings, app) -> Iterator[SwitchStandIn]:
    with SwitchStandIn(settings, app, TEST_BROKER_URL) as stand_in:
        yield stand_in


@pytest.fixture
def api_server(settings, documents) -> Iterator[RunningServer]:
    """The REST API on a free port, over the document store the worker routes from."""
    running = start_in_thread(
        create_app(settings.with_overrides(api_secret="test-secret"), documents)
    )
    yield running
    running.stop()


@pytest.fixture
def api_account(documents, api_server) -> LoggedIn:
    """A new top-level account and a client logged in with its api key."""
    return new_account(documents, api_server)


@pytest.fixture
def call_store(settings) -> Iterator[CallStore]:
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    yield CallStore(client, settings)
    client.close()


def cdr_of(
    documents: DocumentStore, call_id: str, account_id: str | None = ACCOUNT_ID
) -> dict | None:
    """The CDR of a call once written (``account_id`` None: the anonymous CDRs database)."""
    db = account_db(account_id) if account_id else ANONYMOUS_CDRS_DB
    try:
        found = documents.find(db, {"pvt_type": "cdr", "call_id": call_id})
    except NotFound:
        return None
    return found[0] if found else None


@pytest.fixture
def test_modules(tmp_path) -> Iterator[None]:
    """The modules of ``tests/modules`` registered by entry point in this process."""
    from kazoo_tasks.testing import registered_modules
    from tests.modules import ENTRY_POINTS

    with registered_modules(tmp_path / "test-modules", ENTRY_POINTS):
        yield


@pytest.fixture
def timer_wheel(settings) -> Iterator[TimerWheel]:
    """The namespace's armed timers."""
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    yield TimerWheel(client, settings)
    client.close()
