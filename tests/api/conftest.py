"""Fixtures of the API tests: the app served by waitress on a free port (real HTTP), real
Redis (rate limits), the document store, test-only callflow modules registered by entry
point, and an HTTP client speaking Kazoo's envelope."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from api.accounts.service import create_account
from api.app import create_app
from api.server import RunningServer, start_in_thread
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore
from schemas.callflows import forget_modules, registered_modules

PLUGINS = Path(__file__).parent / "plugins"
STANDINS = Path(__file__).parent / "standin_modules"
DOCUMENTED_MODULES = ("tts", "hangup")
"""Modules docs/api.md uses (the engine's); stand-ins are registered only if missing."""


@pytest.fixture(scope="session", autouse=True)
def test_callflow_modules() -> Iterator[None]:
    """Register ``test_ring`` and ``test_say`` (a test distribution on ``sys.path``), and
    stand-ins for the documented modules when the real ones are not installed."""
    added = [str(PLUGINS)]
    if not set(DOCUMENTED_MODULES) <= set(registered_modules()):
        added.append(str(STANDINS))
    sys.path[:0] = added
    forget_modules()
    yield
    for path in added:
        sys.path.remove(path)
    forget_modules()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DocumentStore]:
    """The document store the API runs on."""
    value = EmbeddedDocumentStore(tmp_path / "documents.sqlite3")
    yield value
    value.close()


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    """Test settings; logins are limited generously except where a test says otherwise."""
    return settings.with_overrides(api_auth_rate_limit="1000/minute", api_secret="test-secret")


@dataclass
class Crossbar:
    """An HTTP client of the API: ``data`` in, the decoded envelope out."""

    base_url: str
    token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        data: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        sent = dict(headers or {})
        used = token if token is not None else self.token
        if used:
            sent.setdefault("X-Auth-Token", used)
        if data is not None:
            kwargs["json"] = {"data": data}
        return requests.request(
            method, f"{self.base_url}/v2{path}", headers=sent, timeout=30, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, data: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, data, **kwargs)

    def post(self, path: str, data: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, data, **kwargs)

    def patch(self, path: str, data: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, data, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def login(self, api_key: str) -> str:
        """Log in with an api key; returns the token (and keeps it)."""
        answer = self.put("/api_auth", {"api_key": api_key}, token="")
        assert answer.status_code == 201, answer.text
        self.token = answer.json()["auth_token"]
        return self.token


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


@dataclass
class LoggedIn:
    """An account and a client logged in with its api key."""

    account: dict[str, Any]
    api_key: str
    client: Crossbar

    @property
    def id(self) -> str:
        return self.account["_id"]


def new_account(
    store: DocumentStore, server: RunningServer, parent: str | None = None, **fields: Any
) -> LoggedIn:
    """Create an account as the seed command does and log a new client in with its key."""
    account, api_key = create_account(
        store, f"Account {uuid.uuid4().hex[:8]}", parent_id=parent, **fields
    )
    client = Crossbar(server.url)
    client.login(api_key)
    return LoggedIn(account, api_key, client)


@pytest.fixture
def root(store: DocumentStore, server: RunningServer) -> LoggedIn:
    """A top-level account, logged in."""
    return new_account(store, server)
