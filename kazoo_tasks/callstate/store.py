"""The Redis layer of a call: its lock, state, inbox cursor and outbox.

Every key of a call shares the hash tag ``{<call-id>}`` (:func:`kazoo_tasks.keys.call_key`),
so the Lua scripts below touch one Redis Cluster slot. The rules:

* a worker takes the call's **lock** (a random token with a TTL) before reading the state;
* it **commits** state, cursor and the outbox entries its step produced in one Lua script
  that first checks the lock still holds its token: a worker whose lock expired (a long
  pause, a partition) cannot commit, so nothing it computed takes effect (fencing);
* outbox entries are published after the commit and removed (again under the token)
  once published; whoever takes the lock next publishes what a dead worker left there.

A drain costs three round trips: :meth:`CallStore.begin` takes the lock and reads
everything the step needs (state, cursor, leftover outbox, unread inbox entries);
:meth:`CallStore.commit` writes the step, trims what the previous step published and
returns the next unread entries; :meth:`CallStore.finish` trims what this step
published, releases the lock and says whether events arrived meanwhile.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis
from redis.client import Pipeline
from redis.cluster import RedisCluster
from redis.exceptions import NoScriptError

from kazoo_tasks import compact_json
from kazoo_tasks.config import Settings
from kazoo_tasks.inbox import EVENT_FIELD, inbox_key
from kazoo_tasks.keys import call_key

CALL_PARTS = ("state", "cursor", "lock", "outbox", "inbox")
"""Every key of a call's family (``inbox`` is written by ecallmgr, the rest by workers)."""

_STEP_KEYS = ("lock", "state", "cursor", "outbox", "inbox")
"""The keys every script below takes, in this order (KEYS[1] .. KEYS[5])."""

_AFTER_CURSOR = """
local function after(cursor, count)
  if count < 1 then return {} end
  local start = '-'
  if cursor ~= '0' then start = '(' .. cursor end
  return redis.call('XRANGE', KEYS[5], start, '+', 'COUNT', count)
end
"""

_BEGIN = (
    _AFTER_CURSOR
    + """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {0, redis.call('PTTL', KEYS[1])}
end
local cursor = redis.call('GET', KEYS[3]) or '0'
return {1, redis.call('GET', KEYS[2]) or '', cursor, redis.call('LRANGE', KEYS[4], 0, -1),
        after(cursor, tonumber(ARGV[3]))}
"""
)

_COMMIT = (
    _AFTER_CURSOR
    + """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
local trim = tonumber(ARGV[5])
if trim > 0 then redis.call('LTRIM', KEYS[4], trim, -1) end
local expire_at = tonumber(ARGV[4])
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end
redis.call('SET', KEYS[3], ARGV[3])
for i = 8, #ARGV do redis.call('RPUSH', KEYS[4], ARGV[i]) end
for i = 2, 5 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local at = expire_at
    if i == 4 then at = math.max(expire_at, tonumber(ARGV[7])) end
    redis.call('PEXPIREAT', KEYS[i], at)
  end
end
return {1, after(ARGV[3], tonumber(ARGV[6]))}
"""
)

_FINISH = (
    _AFTER_CURSOR
    + """
local held = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
  held = 1
  local trim = tonumber(ARGV[2])
  if trim > 0 then redis.call('LTRIM', KEYS[4], trim, -1) end
  redis.call('DEL', KEYS[1])
end
return {held, #after(redis.call('GET', KEYS[3]) or '0', 1)}
"""
)

_EXPIRE_ALL = """
for i = 1, #KEYS do redis.call('PEXPIREAT', KEYS[i], tonumber(ARGV[1])) end
return 1
"""


@dataclass(frozen=True)
class InboxEntry:
    """One event read from a call's inbox, with its stream id."""

    entry_id: str
    event: dict[str, Any]


@dataclass(frozen=True)
class Held:
    """The call's lock is ours (``token``), with what the step needs."""

    token: str
    state: dict[str, Any] | None
    """The call record (None before routing)."""
    cursor: str
    """Id of the last inbox entry applied ("0" at first)."""
    outbox: list[dict[str, Any]]
    """Entries a previous holder committed but did not get to remove (publish them first)."""
    entries: list[InboxEntry]
    """Unread inbox entries, oldest first."""


@dataclass(frozen=True)
class Locked:
    """Another worker holds the call for ``remaining`` more seconds at most."""

    remaining: float


@dataclass(frozen=True)
class Finished:
    """What :meth:`CallStore.finish` found: whether the lock was still ours (``held``; if
    not, nothing was trimmed), and whether unread events wait in the inbox."""

    held: bool
    unread: bool


def _entries(rows: list[Any]) -> list[InboxEntry]:
    """Stream entries as a script returns them: ``[id, [field, value, ...]]``."""
    found = []
    for entry_id, fields in rows:
        values = dict(zip(fields[::2], fields[1::2], strict=True))
        found.append(InboxEntry(entry_id, compact_json.loads(values[EVENT_FIELD])))
    return found


class CallStore:
    """Lock, load, commit and outbox operations on the calls of one namespace.

    The client must decode responses (``decode_responses=True``).
    """

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._begin = client.register_script(_BEGIN)
        self._commit = client.register_script(_COMMIT)
        self._finish = client.register_script(_FINISH)
        self._expire_all = client.register_script(_EXPIRE_ALL)
        self._cluster = isinstance(client, RedisCluster)

    def key(self, call_id: str, part: str) -> str:
        """The Redis key of ``part`` of a call (inbox included)."""
        if part == "inbox":
            return inbox_key(self._settings, call_id)
        return call_key(self._settings.namespace, call_id, part)

    def keys(self, call_id: str) -> list[str]:
        """Every key of the call's family."""
        return [self.key(call_id, part) for part in CALL_PARTS]

    def _step_keys(self, call_id: str) -> list[str]:
        return [self.key(call_id, part) for part in _STEP_KEYS]

    # -- a step ----------------------------------------------------------------------------

    def begin(self, call_id: str, count: int) -> Held | Locked:
        """Take the call's lock and read the state, cursor, outbox and up to ``count``
        unread inbox entries, in one round trip; or say how long another holder has."""
        token = secrets.token_hex(16)
        ttl_ms = int(self._settings.call_lock_ttl * 1000)
        reply = self._begin(keys=self._step_keys(call_id), args=[token, ttl_ms, count])
        if not reply[0]:
            return Locked(max(reply[1], 0) / 1000)
        _, raw_state, cursor, outbox, rows = reply
        return Held(
            token=token,
            state=compact_json.loads(raw_state) if raw_state else None,
            cursor=cursor,
            outbox=[compact_json.loads(raw) for raw in outbox],
            entries=_entries(rows),
        )

    def records(self, call_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The records of the calls that have one (one round trip, read-only)."""
        pipe = self._client.pipeline(transaction=False)
        for call_id in call_ids:
            pipe.get(self.key(call_id, "state"))
        raw = pipe.execute()
        pairs = zip(call_ids, raw, strict=True)
        return {call_id: compact_json.loads(state) for call_id, state in pairs if state}

    def commit(
        self,
        call_id: str,
        token: str,
        state: dict[str, Any] | None,
        cursor: str,
        outbox: list[dict[str, Any]],
        expire_at: float,
        *,
        trim: int = 0,
        next_count: int = 0,
    ) -> list[InboxEntry] | None:
        """Write state, cursor and outbox atomically if ``token`` still holds the lock.

        First the ``trim`` oldest outbox entries (published since) are removed. Every key
        of the call then expires at ``expire_at`` (epoch seconds), except an outbox that
        is not empty: it lives at least ``call_ttl`` more, so that the task redelivered
        after its worker died still finds what to publish, however short the grace of an
        ended call (the last step carries the CDR). ``state`` None keeps
        whatever state there is (an event for a call we do not run). Returns up to
        ``next_count`` inbox entries after ``cursor``, or None when the lock was lost
        (nothing written).
        """
        args: list[str | bytes | int] = [
            token,
            compact_json.dumps(state) if state is not None else "",
            cursor,
            int(expire_at * 1000),
            trim,
            next_count,
            int((time.time() + self._settings.call_ttl) * 1000),
            *(compact_json.dumps(entry) for entry in outbox),
        ]
        reply = self._commit(keys=self._step_keys(call_id), args=args)
        return _entries(reply[1]) if reply[0] else None

    def finish(
        self, call_id: str, token: str, trim: int = 0, pipe: Pipeline | None = None
    ) -> Finished:
        """Remove the ``trim`` oldest outbox entries and release the lock if ``token``
        still holds it; then look for unread inbox entries. ``pipe`` (non-transactional)
        may hold other commands to run first, in the same round trip."""
        keys, args = self._step_keys(call_id), [token, trim]
        if pipe is None:
            held, unread = self._finish(keys=keys, args=args)
            return Finished(bool(held), bool(unread))
        if self._cluster:  # a cluster pipeline refuses EVALSHA (and hides eval())
            pipe.execute_command("EVAL", _FINISH, len(keys), *keys, *args)
        else:
            # A plain EVALSHA: redis-py precedes a pipeline holding a Script object with a
            # SCRIPT EXISTS round trip, on every execute.
            pipe.evalsha(self._finish.sha, len(keys), *keys, *args)
        try:
            held, unread = pipe.execute()[-1]
        except NoScriptError:  # not loaded yet (or Redis restarted); the rest of pipe ran
            held, unread = self._finish(keys=keys, args=args)
        return Finished(bool(held), bool(unread))

    # -- reading (operators, tests) -------------------------------------------------------

    def load(self, call_id: str) -> tuple[dict[str, Any] | None, str]:
        """The call's state (None before routing) and its inbox cursor ("0" at first)."""
        raw_state, cursor = self._client.mget(
            self.key(call_id, "state"), self.key(call_id, "cursor")
        )
        state = compact_json.loads(raw_state) if raw_state else None
        return state, cursor or "0"

    def outbox(self, call_id: str) -> list[dict[str, Any]]:
        """Entries committed but not yet published."""
        entries = self._client.lrange(self.key(call_id, "outbox"), 0, -1)
        return [compact_json.loads(raw) for raw in entries]

    # -- expiry ------------------------------------------------------------------------

    def expire_at(self, call_id: str, when: float) -> None:
        """Make every key of the call expire at ``when`` (epoch seconds)."""
        self._expire_all(keys=self.keys(call_id), args=[int(when * 1000)])

    def existing_keys(self, call_id: str) -> list[str]:
        """The keys of the call that exist now (tests and operators use this)."""
        return [k for k in self.keys(call_id) if self._client.exists(k)]


def now() -> float:
    """Wall-clock seconds; one place so the engine's notion of time is easy to find."""
    return time.time()
