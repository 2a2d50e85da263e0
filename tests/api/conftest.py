"""Fixtures of the API tests: the app served by waitress on a free port (real HTTP), real
Redis (rate limits), the document store, test-only callflow modules registered by entry
point, and clients of it (tests/crossbar.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from api.server import RunningServer, start_in_thread
from callflow import registry
from kazoo_tasks import services
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore
from tests.conftest import open_store
from tests.crossbar import Crossbar, LoggedIn, new_account

PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture(scope="session", autouse=True)
def test_callflow_modules() -> Iterator[None]:
    """Register ``test_ring`` and ``test_say`` (a test distribution on ``sys.path``) beside
    the shipped modules."""
    sys.path.insert(0, str(PLUGINS))
    registry.refresh()
    yield
    sys.path.remove(str(PLUGINS))
    registry.refresh()


@pytest.fixture(params=["embedded"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    """The document store the API runs on: embedded, unless a test module asks for CouchDB
    too (``pytest.mark.parametrize("store", ["embedded", "couch"], indirect=True)``)."""
    yield from open_store(request, tmp_path)


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    """Test settings; logins are limited generously except where a test says otherwise."""
    return settings.with_overrides(api_auth_rate_limit="1000/minute", api_secret="test-secret")


@pytest.fixture(params=["embedded", "couch"])
def store_in_settings(request: pytest.FixtureRequest, api_settings: Settings) -> Settings:
    """API settings that name their document store (embedded in ``data_dir``, or the test
    CouchDB), so other processes (a worker, another API) open the same one. A test module
    uses it by overriding ``api_settings`` and ``store`` with :func:`settings_store`."""
    if request.param == "couch":
        return api_settings.with_overrides(couchdb_url=request.getfixturevalue("couchdb_url"))
    return api_settings


def settings_store(settings: Settings) -> Iterator[DocumentStore]:
    """The store ``settings`` name, closed afterwards (body of a ``store`` override)."""
    value = services.document_store(settings)
    yield value
    value.close()


@pytest.fixture
def server(api_settings: Settings, store: DocumentStore) -> Iterator[RunningServer]:
    """The API on a free 127.0.0.1 port, served by waitress in a thread."""
    running = start_in_thread(create_app(api_settings, store))
    yield running
    running.stop()


@pytest.fixture
def crossbar(server: RunningServer) -> Crossbar:
    """A client of the running API, not logged in."""
    return Crossbar(server.url)


@pytest.fixture
def root(store: DocumentStore, server: RunningServer) -> LoggedIn:
    """A top-level account, logged in."""
    return new_account(store, server)
