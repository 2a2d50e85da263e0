"""The account's calls that are up now, as the engine keeps them in Redis: who talks on
them (the calling device, the devices of the legs that answered) and which devices they
ring now. For the modules that act on another call (``eavesdrop``, ``intercept``,
``group_pickup``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callflow.legs import RINGING
from callflow.steps import STATE_KEY
from kazoo_tasks.callstate import STATUS_ENDED, ActiveCalls, CallStore
from kazoo_tasks.config import Settings

DEVICE = "Authorizing-ID"


def talking_devices(record: dict[str, Any]) -> set[str]:
    """The devices on an answered call: the caller's, and those of legs that answered and
    have not hung up."""
    if not record.get("answered"):
        return set()
    devices = {str(record.get("ccvs", {}).get(DEVICE) or "")}
    for leg in (record.get("legs") or {}).values():
        if leg.get("answered_at") and not leg.get("hangup_cause") and leg.get("device"):
            devices.add(leg["device"])
    return devices - {""}


def ringing_devices(record: dict[str, Any]) -> set[str]:
    """The devices the call's current node rings now (a waiting bridge's legs)."""
    waiting = ((record.get("node_state") or {}).get(STATE_KEY) or {}).get("waiting") or {}
    return set((waiting.get("run") or {}).get(RINGING) or [])


def calls_with(
    client: Any, settings: Settings, account_id: str, devices: set[str], exclude: str
) -> list[str]:
    """Ids of the account's live answered calls (oldest first) on which one of
    ``devices`` talks, other than call ``exclude``."""
    return _live(client, settings, account_id, exclude, lambda r: talking_devices(r) & devices)


def calls_ringing(
    client: Any, settings: Settings, account_id: str, devices: set[str], exclude: str
) -> list[str]:
    """Ids of the account's live calls (oldest first) that ring one of ``devices`` now,
    other than call ``exclude``."""
    return _live(client, settings, account_id, exclude, lambda r: ringing_devices(r) & devices)


def _live(
    client: Any,
    settings: Settings,
    account_id: str,
    exclude: str,
    wanted: Callable[[dict[str, Any]], Any],
) -> list[str]:
    active = ActiveCalls(client, settings)
    ids = [call_id for node in active.nodes() for call_id in active.calls(node)]
    records = CallStore(client, settings).records([i for i in ids if i != exclude])
    found = [
        record
        for record in records.values()
        if record.get("status") != STATUS_ENDED
        and record.get("account_id") == account_id
        and wanted(record)
    ]
    found.sort(key=lambda r: (r["created_at"], r["call_id"]))
    return [record["call_id"] for record in found]
