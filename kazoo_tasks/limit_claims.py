"""Claims of calls against account limits (Kazoo's jonny5 ``j5_channels``), in Redis.

Each account that has calls up has sorted sets of claims, scored by when the claim
expires (a lost hangup cannot hold a trunk for ever):

* ``calls``: every call of the account (the ``calls`` hard limit);
* ``resource``: calls that use a carrier, in or out (``resource_consuming_calls``);
* ``inbound`` / ``outbound``: carrier calls that hold a flat-rate trunk, by direction
  (Kazoo's ``inbound_flat_rate`` / ``outbound_flat_rate``), from which the use of
  ``inbound_trunks``, ``outbound_trunks``, ``twoway_trunks`` and ``burst_trunks`` follows.

:meth:`LimitClaims.claim` checks the limits of the call's account and of its reseller
and records the claim in both, in one Lua script: two workers can never both take the
last trunk. A claim is idempotent (the same member claimed again is allowed at once, as
a re-run step or a re-routed call does) and :meth:`LimitClaims.release` removes it
(hangup). Expired claims are dropped by every claim and by the reaper
(:meth:`LimitClaims.sweep`). Every key shares the hash tag ``{<ns>:limits}``, so the
script runs unchanged on a Redis Cluster (one slot holds every account's claims).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis

SETS = ("calls", "resource", "inbound", "outbound")
UNLIMITED = -1

_CLAIM = """
-- KEYS: 4 per account (calls, resource, inbound, outbound), then the accounts index
-- ARGV: now, expire_at, member, call (0/1), carrier (0/1), direction, account count,
--       then per account: calls, resource_consuming_calls, inbound_trunks,
--       outbound_trunks, twoway_trunks, burst_trunks, per_minute (0/1), account id
local now, expire_at, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local is_call, carrier = ARGV[4] == '1', ARGV[5] == '1'
local direction, accounts = ARGV[6], tonumber(ARGV[7])
local index = KEYS[#KEYS]

local function over(limit, used)  -- j5_flat_rate:consume_limit: what is left unserved
  if limit < 0 then return 0 end
  if limit == 0 then return used end
  if used > limit then return used - limit end
  return 0
end

local plans = {}
for a = 1, accounts do
  local k = (a - 1) * 4
  local calls, resource, inbound, outbound = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  local p = (a - 1) * 8 + 7
  for i = 1, 4 do redis.call('ZREMRANGEBYSCORE', KEYS[k + i], '-inf', now) end
  local own = is_call and calls or resource
  if redis.call('ZSCORE', own, member) then
    plans[a] = {again = true}
  else
    local limit_calls, limit_resource = tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2])
    if is_call and limit_calls >= 0 and redis.call('ZCARD', calls) + 1 > limit_calls then
      return {a, 'hard_limit'}
    end
    local billing = 'limits_disabled'
    local flat = nil
    if carrier then
      if limit_resource >= 0 and redis.call('ZCARD', resource) + 1 > limit_resource then
        return {a, 'hard_limit'}
      end
      local used_in, used_out = redis.call('ZCARD', inbound), redis.call('ZCARD', outbound)
      if direction == 'inbound' then used_in = used_in + 1 else used_out = used_out + 1 end
      local left = over(tonumber(ARGV[p + 3]), used_in) + over(tonumber(ARGV[p + 4]), used_out)
      left = over(tonumber(ARGV[p + 5]), left)
      if left == 0 then
        billing, flat = 'flat_rate', (direction == 'inbound') and inbound or outbound
      elseif over(tonumber(ARGV[p + 6]), left) == 0 then
        billing, flat = 'flat_rate_burst', (direction == 'inbound') and inbound or outbound
      elseif ARGV[p + 7] == '1' then
        billing = 'per_minute'
      else
        return {a, 'trunks_exhausted'}
      end
    end
    plans[a] = {flat = flat, billing = billing, account = ARGV[p + 8]}
  end
end
local billings = {}
for a = 1, accounts do
  local plan = plans[a]
  if plan.again then
    billings[a] = 'again'
  else
    if is_call then redis.call('ZADD', KEYS[(a - 1) * 4 + 1], expire_at, member) end
    if carrier then redis.call('ZADD', KEYS[(a - 1) * 4 + 2], expire_at, member) end
    if plan.flat then redis.call('ZADD', plan.flat, expire_at, member) end
    redis.call('SADD', index, plan.account)
    billings[a] = plan.billing
  end
end
return {0, unpack(billings)}
"""


@dataclass(frozen=True)
class AccountLimits:
    """One account's limits as the claim script reads them (-1: unlimited)."""

    account_id: str
    calls: int = UNLIMITED
    resource_consuming_calls: int = UNLIMITED
    inbound_trunks: int = 0
    outbound_trunks: int = 0
    twoway_trunks: int = 0
    burst_trunks: int = 0
    per_minute: bool = True
    """Whether a carrier call without a free trunk may go on per minute (Kazoo's
    ``allow_prepay`` / ``allow_postpay``; no balance is kept here)."""

    def argv(self) -> list[Any]:
        return [
            self.calls, self.resource_consuming_calls, self.inbound_trunks,
            self.outbound_trunks, self.twoway_trunks, self.burst_trunks,
            1 if self.per_minute else 0, self.account_id,
        ]  # fmt: skip


@dataclass(frozen=True)
class Claimed:
    """What a claim got: ``refused_by`` (the account whose limit refused it, None when
    allowed), ``reason`` (``hard_limit``, ``trunks_exhausted``) and the billing of each
    account checked (``flat_rate``, ``flat_rate_burst``, ``per_minute``,
    ``limits_disabled``; ``again`` for a claim made before)."""

    refused_by: str | None
    reason: str | None
    billings: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.refused_by is None


class LimitClaims:
    """Claim, release and sweep the limits' claims of one namespace."""

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self._claim = client.register_script(_CLAIM)

    def key(self, account_id: str, which: str) -> str:
        """One of an account's claim sets (:data:`SETS`)."""
        return f"{self.namespace}:{{{self.namespace}:limits}}:{account_id}:{which}"

    def _index(self) -> str:
        return f"{self.namespace}:{{{self.namespace}:limits}}:accounts"

    def claim(
        self,
        member: str,
        limits: list[AccountLimits],
        *,
        call: bool,
        carrier: bool,
        direction: str,
        now: float,
        expire_at: float,
    ) -> Claimed:
        """Claim ``member`` against each of ``limits`` (the account's, then its
        reseller's): ``call``, a call (it counts in ``calls``); ``carrier``, it uses a
        carrier (``direction`` inbound or outbound: the carrier limits and trunks). An
        inbound carrier call is both; a call's outbound carrier leg is only the latter
        (its member is not the call's id)."""
        keys = [self.key(limit.account_id, which) for limit in limits for which in SETS]
        argv: list[Any] = [
            now, expire_at, member, 1 if call else 0, 1 if carrier else 0, direction, len(limits),
        ]  # fmt: skip
        for limit in limits:
            argv += limit.argv()
        answer = self._claim(keys=[*keys, self._index()], args=argv)
        refused = int(answer[0])
        if refused:
            return Claimed(limits[refused - 1].account_id, _text(answer[1]))
        return Claimed(None, None, tuple(_text(b) for b in answer[1:]))

    def release(self, members: list[str], account_ids: list[str]) -> None:
        """Give the claims of ``members`` back in each account (nothing for a member that
        holds none)."""
        pipe = self.client.pipeline(transaction=False)
        for account_id in account_ids:
            for which in SETS:
                pipe.zrem(self.key(account_id, which), *members)
        pipe.execute()

    def in_use(self, account_id: str, which: str, now: float) -> int:
        """How many live claims one of the account's sets holds."""
        return int(self.client.zcount(self.key(account_id, which), f"({now}", "+inf"))

    def sweep(self, now: float) -> int:
        """Drop every expired claim (the reaper's pass); returns how many."""
        dropped = 0
        for account in self.client.smembers(self._index()):
            account_id = _text(account)
            for which in SETS:
                dropped += int(
                    self.client.zremrangebyscore(self.key(account_id, which), "-inf", now)
                )
            if not any(self.client.zcard(self.key(account_id, which)) for which in SETS):
                self.client.srem(self._index(), account_id)
        return dropped


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
