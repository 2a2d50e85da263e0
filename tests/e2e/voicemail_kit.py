"""What the voicemail and recording end-to-end tests share: the pipeline (emulator,
ecallmgr, a worker) plus the API, which the switch uploads recordings to and clients read
messages from, and helpers to make boxes and read the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import requests

from api.app import create_app
from api.documents import DocumentService
from api.server import RunningServer, start_in_thread
from api.users.resource import SPEC as USERS
from api.vmboxes.resource import SPEC as VMBOXES
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore
from kazoo_tasks.testing import Stack
from tests.crossbar import Crossbar
from tests.e2e.conftest import Account
from tests.waiting import wait_for

SECRET = "e2e-voicemail"


class Office:
    """The stack, the API it uploads to, an account and a logged-in API client."""

    def __init__(
        self, stack: Stack, server: RunningServer, store: DocumentStore, account: Account
    ) -> None:
        self.stack, self.server, self.store, self.account = stack, server, store, account
        self.api = Crossbar(server.url)
        self.api.login(account.api_key)
        self.boxes = DocumentService(store, VMBOXES)

    def account_user(self, username: str = "olive") -> str:
        """A user of the account (calls from their phones carry ``Owner-ID``)."""
        data = {"first_name": username.title(), "last_name": "Example", "username": username}
        return DocumentService(self.store, USERS).create(self.account.id, data)["_id"]

    def box(self, mailbox: str = "1000", **fields: Any) -> str:
        data = {"name": f"box {mailbox}", "mailbox": mailbox, "is_setup": True, **fields}
        return self.boxes.create(self.account.id, data)["_id"]

    def call(
        self,
        number: str,
        script: list | None = None,
        variables: dict[str, str] | None = None,
        **caller: Any,
    ):
        """A call into the account (``caller``: caller id, credentials... of place_call)."""
        return self.stack.emulator.place_call(
            number,
            variables={**self.account.variables, **(variables or {})},
            script=script or [],
            **caller,
        )

    def messages(self, box_id: str) -> list[dict[str, Any]]:
        answer = self.api.get(f"/accounts/{self.account.id}/vmboxes/{box_id}/messages")
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]

    def wait_messages(self, box_id: str, count: int) -> list[dict[str, Any]]:
        def listed() -> list[dict[str, Any]] | None:
            found = self.messages(box_id)
            return found if len(found) == count else None

        return wait_for(listed, timeout=30, what=f"{count} message(s) in the box")

    def download(self, path: str) -> requests.Response | None:
        """GET an API path's raw bytes once they are there (None: 404 so far)."""
        answer = requests.get(
            f"{self.server.url}/v2/accounts/{self.account.id}{path}",
            headers={"X-Auth-Token": self.api.token or ""},
            timeout=30,
        )
        return None if answer.status_code == 404 else answer

    def wait_download(self, path: str) -> requests.Response:
        return wait_for(lambda: self.download(path), timeout=30, what=f"GET {path}")


def start_office(
    settings: Settings,
    store: DocumentStore,
    account: Account,
    stack_factory: Callable[..., Stack],
    stack_overrides: dict[str, Any] | None = None,
    **api_overrides: Any,
) -> Iterator[Office]:
    """The body of an ``office`` fixture: the API in a thread, then the stack uploading
    its recordings to it (with ``stack_overrides`` on its settings)."""
    api_settings = settings.with_overrides(api_secret="e2e", switch_secret=SECRET, **api_overrides)
    server = start_in_thread(create_app(api_settings, store))
    try:
        switch = {"switch_url": f"{server.url}/switch", "switch_secret": SECRET}
        stack = stack_factory({**switch, **(stack_overrides or {})})
        yield Office(stack, server, store, account)
    finally:
        server.stop()


def applications(call) -> list[tuple[str, str]]:
    """What the switch ran, without the ``set`` of playback terminators."""
    return [(app, args) for app, args in call.applications if app != "set"]


def played(call) -> list[str]:
    """What was played, in order."""
    return [args for app, args in call.applications if app == "playback"]
