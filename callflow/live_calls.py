"""The account's calls that are up now, as the engine keeps them in Redis: who talks on
them (the calling device, the devices of the legs that answered) and which devices they
ring now. For the modules that act on another call (``eavesdrop``, ``intercept``,
``group_pickup``, ``move``)."""

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
    found = _live(client, settings, account_id, exclude, lambda r: talking_devices(r) & devices)
    return [record["call_id"] for record in found]


def calls_ringing(
    client: Any, settings: Settings, account_id: str, devices: set[str], exclude: str
) -> list[str]:
    """Ids of the account's live calls (oldest first) that ring one of ``devices`` now,
    other than call ``exclude``."""
    found = _live(client, settings, account_id, exclude, lambda r: ringing_devices(r) & devices)
    return [record["call_id"] for record in found]


def far_parties(record: dict[str, Any], devices: set[str]) -> list[str]:
    """The channels talking to ``devices`` on an answered call: when the call was placed
    from one of them, its answered legs that are up; for each answered leg of one of
    them, the call itself (its A leg)."""
    if not record.get("answered"):
        return []
    legs = [
        (leg_id, leg)
        for leg_id, leg in (record.get("legs") or {}).items()
        if leg.get("answered_at") and not leg.get("hangup_cause")
    ]
    found = []
    if str(record.get("ccvs", {}).get(DEVICE) or "") in devices:
        found += [leg_id for leg_id, _ in legs]
    found += [record["call_id"] for _, leg in legs if leg.get("device") in devices]
    return found


def channels_talking_to(
    client: Any, settings: Settings, account_id: str, devices: set[str], exclude: str
) -> list[str]:
    """The channels the account's live calls (oldest first, other than call ``exclude``)
    have talking to one of ``devices`` (:func:`far_parties`): Kazoo's ``other_leg`` of
    each channel of those devices."""
    found = _live(client, settings, account_id, exclude, lambda r: far_parties(r, devices))
    return [channel for record in found for channel in far_parties(record, devices)]


def _live(
    client: Any,
    settings: Settings,
    account_id: str,
    exclude: str,
    wanted: Callable[[dict[str, Any]], Any],
) -> list[dict[str, Any]]:
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
    return found
