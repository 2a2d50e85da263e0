"""Command claims: each command id is written to FreeSWITCH at most once, cluster-wide.

One Redis hash per call, ``<ns>:call:{<call-id>}:commands`` (so it shares the call's hash
tag and goes with the call): field = command id, value = the owner id of the ecallmgr
that claimed it, then ``done`` once FreeSWITCH answered. ``HSETNX`` is the atomic claim
(the hash-field form of ``SET NX``: any ecallmgr, active or a standby that took over, sees
it). The hash gets ``KAZOO_CALL_TTL`` when created and is cut to ``KAZOO_HANGUP_GRACE``
when the call's ``CHANNEL_HANGUP_COMPLETE`` is published, so no key of the call outlives
it; a later claim never extends it again. Scripts keep each step atomic (Redis 6.2, the
embedded server, has no ``EXPIRE NX``).

A claim of an ``execute`` command also appends its entry to the call's list of running
commands (:mod:`.running`) in the same script, so the entry exists before the frame is
written; a release or a failure removes it again.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis

from kazoo_tasks.config import Settings
from kazoo_tasks.keys import call_key
from workers.ecallmgr.running import running_key

DONE = "done"
"""Value of a claim once FreeSWITCH has answered the command."""

_CLAIM = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  if redis.call('TTL', KEYS[1]) == -1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
  if ARGV[4] ~= '' then
    redis.call('RPUSH', KEYS[2], ARGV[4])
    redis.call('EXPIRE', KEYS[2], ARGV[3])
  end
  return false
end
return redis.call('HGET', KEYS[1], ARGV[1])
"""

_COMPLETE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
if ARGV[3] ~= '' then redis.call('LREM', KEYS[2], 1, ARGV[3]) end
return 0
"""

_RELEASE = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then redis.call('LREM', KEYS[2], 1, ARGV[3]) end
return 1
"""

_SHORTEN = """
local ttl = redis.call('TTL', KEYS[1])
if ttl == -1 or ttl > tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return 0
"""


def claims_key(namespace: str, call_id: str) -> str:
    """The hash of command claims of ``call_id``."""
    return call_key(namespace, call_id, "commands")


class CommandClaims:
    """Claims of command ids in Redis (see the module docstring)."""

    def __init__(self, client: redis.Redis, settings: Settings):
        self._client = client
        self._settings = settings
        self._claim = client.register_script(_CLAIM)
        self._complete = client.register_script(_COMPLETE)
        self._shorten = client.register_script(_SHORTEN)
        self._release = client.register_script(_RELEASE)

    def _keys(self, call_id: str) -> list[str]:
        namespace = self._settings.namespace
        return [claims_key(namespace, call_id), running_key(namespace, call_id)]

    def claim(self, call_id: str, command_id: str, owner: str, running: str = "") -> str | None:
        """Claim ``command_id`` (appending ``running``, its running-command entry, when
        given): None when it is ours now, else the claim that exists (``done``, or the
        owner id of an ecallmgr that never got FreeSWITCH's answer)."""
        args = [command_id, owner, self._settings.call_ttl, running]
        return self._claim(keys=self._keys(call_id), args=args)

    def holder(self, call_id: str, command_id: str) -> str | None:
        """The claim of ``command_id``: ``done``, the owner id of the ecallmgr that claimed
        it and has not seen the switch's answer, or None (unclaimed)."""
        return self._client.hget(self._keys(call_id)[0], command_id)

    def complete(self, call_id: str, command_id: str, failed_running: str = "") -> None:
        """Mark a claimed command answered; ``failed_running``: the entry of a command the
        switch refused (or that got no answer), removed from the running list."""
        self._complete(keys=self._keys(call_id), args=[command_id, DONE, failed_running])

    def release(self, call_id: str, command_id: str, owner: str, running: str = "") -> bool:
        """Drop the claim of a command that was never written (it may be written later),
        with its running-command entry ``running`` if given: only while the claim is
        still ``owner``'s, since an ecallmgr that took the node over may have settled it
        and claimed the command itself since. True when it was released."""
        args = [command_id, owner, running]
        return bool(self._release(keys=self._keys(call_id), args=args))

    def end_calls(self, call_ids: Iterable[str]) -> None:
        """The calls hung up: their claims expire with the call's other keys."""
        for call_id in call_ids:
            self._shorten(keys=self._keys(call_id)[:1], args=[self._settings.hangup_grace])
