"""Fixtures of the /switch tests: the API app on a free port (real HTTP, real Redis and
RabbitMQ through the settings), an account whose realm is the recorded one, and a
device 1001 owned by a user, created through the Crossbar API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from api.app import create_app
from api.server import RunningServer, start_in_thread
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore
from tests.conftest import open_store
from tests.crossbar import LoggedIn, new_account

REALM = "127.0.0.1"
"""The realm of the recorded look-ups (FreeSWITCH's profile address)."""
SWITCH_PASSWORD = "xml-curl-secret"


@pytest.fixture(params=["embedded"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    yield from open_store(request, tmp_path)


@pytest.fixture
def switch_settings(settings: Settings) -> Settings:
    return settings.with_overrides(
        api_secret="test-secret",
        api_auth_rate_limit="1000/minute",
        switch_password=SWITCH_PASSWORD,
        switch_secret="switch-test-secret",
    )


@pytest.fixture
def server(switch_settings: Settings, store: DocumentStore) -> Iterator[RunningServer]:
    running = start_in_thread(create_app(switch_settings, store))
    yield running
    running.stop()


@dataclass
class Phone:
    """An account with realm :data:`REGISTER`, a user and its device 1001."""

    account: LoggedIn
    user: dict[str, Any]
    device: dict[str, Any]


def create(account: LoggedIn, collection: str, data: dict[str, Any]) -> dict[str, Any]:
    answer = account.client.put(f"/accounts/{account.id}/{collection}", data)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


@pytest.fixture
def phone(store: DocumentStore, server: RunningServer) -> Phone:
    account = new_account(
        store,
        server,
        realm=REALM,
        caller_id={"internal": {"name": "Example Inc", "number": "+14155550000"}},
    )
    user = create(
        account,
        "users",
        {
            "first_name": "Alice",
            "last_name": "Example",
            "caller_id": {"internal": {"name": "Alice Example"}},
        },
    )
    device = create(
        account,
        "devices",
        {
            "name": "Alice's desk phone",
            "owner_id": user["id"],
            "sip": {"username": "1001", "password": "test1001"},
            "caller_id": {"internal": {"number": "1001"}},
        },
    )
    return Phone(account, user, device)


def look_up(server: RunningServer, body: bytes, auth: Any = ("freeswitch", SWITCH_PASSWORD)):
    """POST one recorded look-up as FreeSWITCH does (same headers)."""
    return requests.post(
        f"{server.url}/switch/directory",
        data=body,
        headers={
            "User-Agent": "freeswitch-xml/1.0",
            "Accept": "*/*",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        auth=auth,
        timeout=10,
    )
