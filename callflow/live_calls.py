"""The account's calls that are up now, as the engine keeps them in Redis: who talks on
them (the calling device, the devices of the legs that answered). For the modules that
act on another call (``eavesdrop``)."""

from __future__ import annotations

from typing import Any

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


def calls_with(
    client: Any, settings: Settings, account_id: str, devices: set[str], exclude: str
) -> list[str]:
    """Ids of the account's live answered calls (oldest first) on which one of
    ``devices`` talks, other than call ``exclude``."""
    active = ActiveCalls(client, settings)
    ids = [call_id for node in active.nodes() for call_id in active.calls(node)]
    records = CallStore(client, settings).records([i for i in ids if i != exclude])
    found = [
        record
        for record in records.values()
        if record.get("status") != STATUS_ENDED
        and record.get("account_id") == account_id
        and talking_devices(record) & devices
    ]
    found.sort(key=lambda r: (r["created_at"], r["call_id"]))
    return [record["call_id"] for record in found]
