"""Live calls of an account and its descendants, from the engine's Redis state.

The engine indexes live calls per FreeSWITCH node (:class:`~kazoo_tasks.callstate.ActiveCalls`)
and keeps each call's record under its state key; a call belongs to the account it was
routed to. A listing reads the index of every node, then every record in one round trip,
and keeps the calls whose account is the URL's account or one of its descendants (each
account looked up once per request). A user's or a device's listing keeps the calls that
device is on (calling, or rung as a B leg), or a device the user owns (Kazoo's
``users/{id}/channels`` and ``devices/{id}/channels``). Calls that ended (the index lags
the commit by a moment) and calls not routed to any account are never shown.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import redis

from api.accounts.service import AccountService
from api.errors import NotFoundError
from kazoo_tasks.callstate import STATUS_ENDED, ActiveCalls, CallStore
from kazoo_tasks.callstate.record import current_node, node_path
from kazoo_tasks.callstate.store import now
from kazoo_tasks.clock import to_gregorian
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import DocumentStore, account_db
from schemas.channels import ChannelSchema

CALL_ID = re.compile(r"^[!-~]{1,256}$")
"""What a Call-ID may look like in a URL (printable ASCII, no spaces)."""


def channel_view(record: dict[str, Any], at: float) -> dict[str, Any]:
    """A call record as Kazoo's channel (``at``: now, Unix seconds)."""
    created = record["created_at"]
    view = {
        "uuid": record["call_id"],
        "account_id": record["account_id"],
        "direction": record["direction"],
        "caller_id_name": record["caller_id_name"],
        "caller_id_number": record["caller_id_number"],
        "callee_id_name": record["callee_id_name"],
        "callee_id_number": record["callee_id_number"],
        "destination": record["request_user"],
        "request": record["request"],
        "answered": record["answered"],
        "timestamp": to_gregorian(created),
        "elapsed_s": max(int(at - created), 0),
        "node": record["node"],
        "other_leg": record["other_leg_call_id"],
        "status": record["status"],
        "callflow_id": record["callflow_id"],
        "node_path": node_path(record),
        "module": current_node(record).get("module"),
        "authorizing_id": record["ccvs"].get("Authorizing-ID"),
        "authorizing_type": record["ccvs"].get("Authorizing-Type"),
        "owner_id": record["ccvs"].get("Owner-ID"),
        "devices": sorted(devices_of(record)) or None,
    }
    return ChannelSchema().dump({k: v for k, v in view.items() if v is not None})


class ChannelService:
    """The live calls an account may see."""

    def __init__(self, client: redis.Redis, settings: Settings, store: DocumentStore) -> None:
        self.calls = CallStore(client, settings)
        self.active = ActiveCalls(client, settings)
        self.accounts = AccountService(store)
        self.store = store

    def list(
        self, account_id: str, involving: Callable[[dict[str, Any]], bool] | None = None
    ) -> list[dict[str, Any]]:
        """Live calls of the account and its descendants (those ``involving`` holds for,
        when given), oldest first."""
        within = _Within(self.accounts, account_id)
        at = now()
        shown = [
            r
            for r in self._live_records()
            if within(r["account_id"]) and (involving is None or involving(r))
        ]
        shown.sort(key=lambda r: (r["created_at"], r["call_id"]))
        return [channel_view(record, at) for record in shown]

    def count_by_account(self) -> dict[str, int]:
        """Live routed calls of each account (its own, not its descendants')."""
        return dict(Counter(record["account_id"] for record in self._live_records()))

    def _live_records(self) -> list[dict[str, Any]]:
        """The records of every live call routed to an account, on every node."""
        call_ids = [call_id for node in self.active.nodes() for call_id in self.active.calls(node)]
        return [r for r in self.calls.records(call_ids).values() if _live(r)]

    def of_device(self, account_id: str, device_id: str) -> list[dict[str, Any]]:
        """Live calls from the device, or ringing or bridged to it."""
        return self.list(account_id, lambda record: device_id in devices_of(record))

    def of_user(self, account_id: str, user_id: str) -> list[dict[str, Any]]:
        """Live calls from or to the user: its calling device's ``Owner-ID``, or a device
        it owns on either side of the call."""
        owned = {
            doc["_id"]
            for doc in self.store.find(
                account_db(account_id), {"pvt_type": "device", "owner_id": user_id}
            )
        }

        def involving(record: dict[str, Any]) -> bool:
            return record["ccvs"].get("Owner-ID") == user_id or bool(owned & devices_of(record))

        return self.list(account_id, involving)

    def read(self, account_id: str, call_id: str) -> dict[str, Any]:
        """One live call of the account or a descendant (404 otherwise, whether the call
        does not exist or belongs to an account out of reach)."""
        record = self.calls.records([call_id]).get(call_id) if CALL_ID.match(call_id) else None
        if record is None or not _live(record):
            raise NotFoundError({"message": "bad identifier", "cause": call_id})
        if not _Within(self.accounts, account_id)(record["account_id"]):
            raise NotFoundError({"message": "bad identifier", "cause": call_id})
        return channel_view(record, now())


def devices_of(record: dict[str, Any]) -> set[str]:
    """The devices on a call: the calling device (``Authorizing-ID`` of a device) and the
    device of each B leg the call rang."""
    found = {str(leg["device"]) for leg in (record.get("legs") or {}).values() if leg.get("device")}
    ccvs = record["ccvs"]
    if ccvs.get("Authorizing-ID") and ccvs.get("Authorizing-Type", "device") == "device":
        found.add(str(ccvs["Authorizing-ID"]))
    return found


def _live(record: dict[str, Any]) -> bool:
    return record["status"] != STATUS_ENDED and bool(record.get("account_id"))


class _Within:
    """Whether an account is ``root`` or below it (each account looked up once)."""

    def __init__(self, accounts: AccountService, root: str) -> None:
        self._accounts = accounts
        self._root = root
        self._seen: dict[str, bool] = {root: True}

    def __call__(self, account_id: str) -> bool:
        if account_id not in self._seen:
            account = self._accounts.lookup(account_id)
            self._seen[account_id] = account is not None and self._root in account.get(
                "pvt_tree", []
            )
        return self._seen[account_id]
