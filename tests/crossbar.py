"""A client of the Crossbar API over real HTTP, speaking Kazoo's envelope, and accounts
logged in with it (used by the API tests and by the tests that drive calls through
documents written with the API)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import requests

from api.accounts.service import create_account
from api.server import RunningServer
from kazoo_tasks.docstore import DocumentStore


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
