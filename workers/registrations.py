"""Live SIP registrations, kept in Redis from FreeSWITCH's ``sofia::register`` events.

ecallmgr sends :data:`~kazoo_tasks.bus.REGISTRATION_TASK` with the decoded headers of each
``sofia::register`` / ``sofia::unregister`` event. The task stores one JSON document per
realm and user under :func:`~kazoo_tasks.keys.registration_key` that expires with the
registration (``expires`` seconds), and deletes it on unregister. Tasks may run out of
order on several workers, so each write carries the event's FreeSWITCH timestamp and a
Lua script refuses anything older than what is stored (an unregister leaves a short-lived
tombstone so a late register cannot resurrect it). docs/ecallmgr.md describes the keys.
"""

from __future__ import annotations

import json
from typing import Any

from celery import Task, shared_task

from kazoo_tasks import services
from kazoo_tasks.bus import REGISTRATION_TASK
from kazoo_tasks.config import Settings
from kazoo_tasks.keys import registration_key, registration_tombstone_key

TOMBSTONE_TTL = 300
"""Seconds an unregister is remembered, to refuse registers that were delayed behind it."""

_APPLY = """
local newest = 0
for _, key in ipairs(KEYS) do
  local stored = redis.call('GET', key)
  if stored then
    local ts = tonumber(cjson.decode(stored)['timestamp_us']) or 0
    if ts > newest then newest = ts end
  end
end
if newest > tonumber(ARGV[2]) then return 0 end
if ARGV[1] == 'register' then
  redis.call('DEL', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
else
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
end
return 1
"""

_FIELDS = (
    ("contact", "contact"),
    ("network_ip", "network-ip"),
    ("network_port", "network-port"),
    ("user_agent", "user-agent"),
    ("sip_call_id", "call-id"),
    ("profile", "profile-name"),
    ("status", "status"),
)


def registration_record(headers: dict[str, str], node: str) -> dict[str, Any]:
    """The stored document for one register/unregister event (decoded plain headers)."""
    timestamp = headers.get("Event-Date-Timestamp", "0")
    expires = headers.get("expires", "0")
    record: dict[str, Any] = {
        "realm": headers.get("realm") or headers.get("from-host", ""),
        "user": headers.get("username") or headers.get("from-user", ""),
        "node": node,
        "expires": int(expires) if expires.isdigit() else 0,
        "timestamp_us": int(timestamp) if timestamp.isdigit() else 0,
    }
    record["registered_at"] = record["timestamp_us"] / 1e6
    for name, header in _FIELDS:
        record[name] = headers.get(header, "")
    return record


def apply_registration(client: Any, settings: Settings, event: str, record: dict[str, Any]) -> bool:
    """Store (``sofia::register``) or remove (``sofia::unregister``) one registration.

    Returns False when the event is older than what Redis holds (it is then ignored).
    """
    if not record["realm"] or not record["user"]:
        raise ValueError(f"registration without realm or user: {record!r}")
    registering = event == "sofia::register" and record["expires"] > 0
    keys = [
        registration_key(settings.namespace, record["realm"], record["user"]),
        registration_tombstone_key(settings.namespace, record["realm"], record["user"]),
    ]
    ttl = record["expires"] if registering else TOMBSTONE_TTL
    applied = client.eval(
        _APPLY,
        len(keys),
        *keys,
        "register" if registering else "unregister",
        record["timestamp_us"],
        json.dumps(record, separators=(",", ":")),
        ttl,
    )
    return bool(applied)


@shared_task(bind=True, name=REGISTRATION_TASK, acks_late=True)
def registration(self: Task, event: str, node: str, headers: dict[str, str]) -> bool:
    """Apply one registration event (idempotent: a redelivery writes the same document)."""
    settings: Settings = self.app.kazoo_settings
    record = registration_record(headers, node)
    return apply_registration(services.redis_client(settings), settings, event, record)
