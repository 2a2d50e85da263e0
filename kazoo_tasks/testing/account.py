"""An account to test callflows with: created and given callflows through the same
services as the REST API, so a node whose data its module's schema rejects is refused
exactly as ``PUT /v2/accounts/{id}/callflows`` refuses it."""

from __future__ import annotations

import time
from typing import Any

from api.accounts.service import create_account
from api.callflows.resource import SPEC as CALLFLOWS
from api.documents import DocumentService
from kazoo_tasks.docstore import DocumentStore, account_db


def node(module: str, data: dict[str, Any] | None = None, **children: dict[str, Any]) -> dict:
    """A callflow node; its children by key (the wildcard ``_`` as ``_=node(...)``)."""
    return {"module": module, "data": data or {}, "children": children}


class TestAccount:
    """A new account in ``store`` (the store the worker processes read); ``fields`` are
    more of its document's fields (``timezone="America/New_York"``...)."""

    __test__ = False  # not a pytest test class

    def __init__(self, store: DocumentStore, name: str, **fields: Any) -> None:
        self.store = store
        doc, self.api_key = create_account(store, name, **fields)
        self.id: str = doc["_id"]
        self.callflows = DocumentService(store, CALLFLOWS)

    @property
    def variables(self) -> dict[str, str]:
        """Channel variables a call from one of this account's devices carries (give them
        to ``Emulator.place_call(variables=...)``)."""
        return {"ecallmgr_Account-ID": self.id}

    def callflow(self, numbers: list[str], flow: dict[str, Any], name: str = "") -> str:
        """Save a callflow as the API does (raises :class:`api.errors.ValidationFailed`,
        whose ``data`` maps each bad field such as ``flow.data.prompt`` to its errors);
        returns its id."""
        data = {"numbers": numbers, "flow": flow, "name": name or f"flow {numbers[0]}"}
        return self.callflows.create(self.id, data)["_id"]

    def cdr(self, call_id: str) -> dict[str, Any] | None:
        """The CDR of a call, once written (None before)."""
        found = self.store.find(account_db(self.id), {"pvt_type": "cdr", "call_id": call_id})
        return found[0] if found else None

    def wait_cdr(self, call_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """The CDR of a call, waiting up to ``timeout`` seconds for it to be written. Its
        ``trace`` tells which node ran, on which event, with what outcome."""
        deadline = time.monotonic() + timeout
        while (cdr := self.cdr(call_id)) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no CDR for call {call_id} after {timeout} s")
            time.sleep(0.05)
        return cdr
