"""The Redis layer of a call: its lock, state, inbox cursor and outbox.

Every key of a call shares the hash tag ``{<call-id>}`` (:func:`kazoo_tasks.keys.call_key`),
so the Lua scripts below touch one Redis Cluster slot. The rules:

* a worker takes the call's **lock** (a random token with a TTL) before reading the state;
* it **commits** state, cursor and the outbox entries its step produced in one Lua script
  that first checks the lock still holds its token: a worker whose lock expired (a long
  pause, a partition) cannot commit, so nothing it computed takes effect (fencing);
* outbox entries are published after the commit and removed (again under the token)
  once published; whoever takes the lock next publishes what a dead worker left there.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis

from kazoo_tasks.config import Settings
from kazoo_tasks.inbox import EVENT_FIELD, inbox_key
from kazoo_tasks.keys import call_key

CALL_PARTS = ("state", "cursor", "lock", "outbox", "inbox")
"""Every key of a call's family (``inbox`` is written by ecallmgr, the rest by workers)."""

_COMMIT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local expire_at = tonumber(ARGV[4])
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end
redis.call('SET', KEYS[3], ARGV[3])
for i = 5, #ARGV do redis.call('RPUSH', KEYS[4], ARGV[i]) end
for i = 2, 5 do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('PEXPIREAT', KEYS[i], expire_at) end
end
return 1
"""

_TRIM_OUTBOX = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('LTRIM', KEYS[2], tonumber(ARGV[2]), -1)
return 1
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_EXPIRE_ALL = """
for i = 1, #KEYS do redis.call('PEXPIREAT', KEYS[i], tonumber(ARGV[1])) end
return 1
"""


@dataclass(frozen=True)
class InboxEntry:
    """One event read from a call's inbox, with its stream id."""

    entry_id: str
    event: dict[str, Any]


class CallStore:
    """Lock, load, commit and outbox operations on the calls of one namespace."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._commit = client.register_script(_COMMIT)
        self._trim = client.register_script(_TRIM_OUTBOX)
        self._release = client.register_script(_RELEASE)
        self._expire_all = client.register_script(_EXPIRE_ALL)

    def key(self, call_id: str, part: str) -> str:
        """The Redis key of ``part`` of a call (inbox included)."""
        if part == "inbox":
            return inbox_key(self._settings, call_id)
        return call_key(self._settings.namespace, call_id, part)

    def keys(self, call_id: str) -> list[str]:
        """Every key of the call's family."""
        return [self.key(call_id, part) for part in CALL_PARTS]

    # -- lock --------------------------------------------------------------------------

    def acquire(self, call_id: str) -> str | None:
        """Take the call's lock; returns the token, or None when another worker holds it."""
        token = secrets.token_hex(16)
        ttl_ms = int(self._settings.call_lock_ttl * 1000)
        if self._client.set(self.key(call_id, "lock"), token, nx=True, px=ttl_ms):
            return token
        return None

    def lock_remaining(self, call_id: str) -> float:
        """Seconds left on the lock (0 when free)."""
        pttl = self._client.pttl(self.key(call_id, "lock"))
        return max(pttl, 0) / 1000

    def release(self, call_id: str, token: str) -> bool:
        """Drop the lock if it still holds ``token``."""
        return bool(self._release(keys=[self.key(call_id, "lock")], args=[token]))

    # -- reading -------------------------------------------------------------------------

    def load(self, call_id: str) -> tuple[dict[str, Any] | None, str]:
        """The call's state (None before routing) and its inbox cursor ("0" at first)."""
        raw_state, cursor = self._client.mget(
            self.key(call_id, "state"), self.key(call_id, "cursor")
        )
        state = json.loads(raw_state) if raw_state else None
        return state, cursor or "0"

    def read_inbox(self, call_id: str, after: str, count: int) -> list[InboxEntry]:
        """Up to ``count`` inbox entries strictly after ``after``, in stream order."""
        start = "-" if after == "0" else f"({after}"
        rows = self._client.xrange(self.key(call_id, "inbox"), min=start, count=count)
        return [InboxEntry(entry_id, json.loads(fields[EVENT_FIELD])) for entry_id, fields in rows]

    def has_unread(self, call_id: str) -> bool:
        """Whether the inbox holds an entry after the cursor."""
        _, cursor = self.load(call_id)
        return bool(self.read_inbox(call_id, cursor, 1))

    def outbox(self, call_id: str) -> list[dict[str, Any]]:
        """Entries committed but not yet published."""
        return [json.loads(raw) for raw in self._client.lrange(self.key(call_id, "outbox"), 0, -1)]

    # -- writing -------------------------------------------------------------------------

    def commit(
        self,
        call_id: str,
        token: str,
        state: dict[str, Any] | None,
        cursor: str,
        outbox: list[dict[str, Any]],
        expire_at: float,
    ) -> bool:
        """Write state, cursor and outbox atomically if ``token`` still holds the lock.

        Every key of the call then expires at ``expire_at`` (epoch seconds). ``state``
        None keeps whatever state there is (an event for a call we do not run).
        """
        args: list[str | int] = [
            token,
            json.dumps(state, separators=(",", ":")) if state is not None else "",
            cursor,
            int(expire_at * 1000),
            *(json.dumps(entry, separators=(",", ":")) for entry in outbox),
        ]
        keys = [self.key(call_id, part) for part in ("lock", "state", "cursor", "outbox", "inbox")]
        return bool(self._commit(keys=keys, args=args))

    def trim_outbox(self, call_id: str, published: int, token: str) -> bool:
        """Remove the first ``published`` outbox entries if ``token`` still holds the lock."""
        keys = [self.key(call_id, "lock"), self.key(call_id, "outbox")]
        return bool(self._trim(keys=keys, args=[token, published]))

    def expire_at(self, call_id: str, when: float) -> None:
        """Make every key of the call expire at ``when`` (epoch seconds)."""
        self._expire_all(keys=self.keys(call_id), args=[int(when * 1000)])

    def existing_keys(self, call_id: str) -> list[str]:
        """The keys of the call that exist now (tests and operators use this)."""
        return [k for k in self.keys(call_id) if self._client.exists(k)]


def now() -> float:
    """Wall-clock seconds; one place so the engine's notion of time is easy to find."""
    return time.time()
