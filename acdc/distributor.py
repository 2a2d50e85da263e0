"""Offering waiting callers to ready agents, with exactly one winner.

**Claim.** One Lua script takes the queue's next caller that a ready agent of the roster
has the skills for (:mod:`acdc.skills`) and the agents the strategy picks among those
(``round_robin``: the next after the last one offered;
``most_idle``: ready the longest; ``ring_all``: all of them; else up to
``ring_simultaneously``), moves those agents to ``ringing`` and the caller to ``offered``
and writes the offer (``offer:<id>``: queue, caller, agents, outcome ``pending``) with a
lease in the account's due set, all at once. Redis runs one script at a time, so two
distributors racing on any number of machines can never give one agent two callers nor
one caller two offers. The script is given the keys of the roster's agents and of the
first callers in line as read just before it (:mod:`acdc.lua`): it touches no key it was
not given, so it runs on a Redis Cluster, and answers ``stale`` if either set grew.

**Outcome.** What became of an offer is recorded once, by a second script that also moves
the caller (``connected``: counted handled; ``failed``: back in line at its old place,
counted missed; ``expired`` or ``gone``: see below): the first outcome wins, a late or
repeated one changes nothing. **Settle** then applies it to the agents through their state
machine, each event fenced by the offer id (the winner ``connect``; the others
``release``; all of them ``miss`` for a failure), drops the lease and offers again.

**Leases.** A distributor or worker that dies between the claim and the caller getting the
offer, or between an outcome and its settling, leaves a lease that falls due: the sweep
(:meth:`Distributor.sweep`, every worker) records ``expired`` when no outcome was recorded
(the caller goes back in line, the agents back to ready) and settles. A caller that takes
the offer first marks it ``accepted`` (:meth:`Distributor.accept`), which renews the lease
for the time its bridge may ring; a caller who finds the offer expired does not ring. An
accepted offer whose call still runs (a worker died, its events are late) never expires:
the call's bridge result settles it, so a caller who got through is never put back in
line behind an agent it talks to.

The agents' own timers (end of wrap-up, end of a pause) share the due set and are fenced
by the agent's version (:mod:`acdc.agent`).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from acdc.agent import READY, RINGING, sources
from acdc.keys import accounts_key, due_key, events_key, offer_key
from acdc.lua import DECLARED, STALE, STALE_RETRIES, keys_of
from acdc.queue import WAITING, WAITS_KEPT, Left, Queues
from kazoo_tasks.callstate import STATUS_ENDED
from kazoo_tasks.events import CallEvent

log = logging.getLogger(__name__)

OFFER_EVENT = "ACDC_OFFER"
"""Name of the event an offer delivers to the caller's inbox."""
EJECT_EVENT = "ACDC_EJECT"
"""Name of the event that sends a waiting caller on: its queue has no agent left and
does not keep callers then (``enter_when_empty`` false)."""
OFFER_GRACE = 30.0
"""Seconds an offer's lease lasts beyond the agents' ring time."""
OFFER_TTL = 3600
"""Seconds a settled offer's record is kept (for the trace and the stats)."""
PENDING = "pending"
ACCEPTED = "accepted"
CONNECTED = "connected"
FAILED = "failed"
EXPIRED = "expired"
GONE = "gone"
MAX_CLAIMS = 1000
"""Offers one distribution pass makes at most."""
SWEEP_BATCH = 200
SKILL_SCAN = 50
"""Callers a claim looks at, in order, for one that a ready agent has the skills for (a
caller nobody ready can take does not hold up those behind it)."""
CLAIM_HOLD = 5.0
"""Seconds a sweep holds the due entries it took (another sweep takes them after)."""

_CLAIM = (
    DECLARED
    + """
local agents, callers_declared = tonumber(ARGV[10]), tonumber(ARGV[11])
local agent_at = declared(9, 12, agents, 2)
local member_at = declared(9 + 2 * agents, 12 + agents, callers_declared, 1)
local callers = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[9]) - 1)
if #callers == 0 then return {'none'} end
local conf = {}
local raw = redis.call('HGETALL', KEYS[3])
for i = 1, #raw, 2 do conf[raw[i]] = raw[i + 1] end
local strategy = conf['strategy'] or 'round_robin'
local ring = tonumber(conf['ring_simultaneously'] or '1')
local lease = tonumber(conf['agent_ring_timeout'] or '15') + tonumber(ARGV[4])
local allowed = {}
for state in string.gmatch(ARGV[5], '[^,]+') do allowed[state] = true end
local roster = redis.call('SMEMBERS', KEYS[2])
table.sort(roster)
local ready = {}
for _, agent in ipairs(roster) do
  local at = agent_at[agent]
  if not at then return {'stale'} end
  local a = redis.call('HMGET', KEYS[at], 'state', 'idle_since', 'skills')
  if allowed[a[1] or 'logged_out'] then
    table.insert(ready, {agent, tonumber(a[2] or '0'), a[3] or '', at})
  end
end
if #ready == 0 then return {'none'} end
local caller = nil
local member = nil
for _, candidate in ipairs(callers) do
  local at = member_at[candidate]
  if not at then return {'stale'} end
  local need = redis.call('HGET', KEYS[at], 'skills') or ''
  local fit = {}
  for _, r in ipairs(ready) do
    local able = true
    for skill in string.gmatch(need, '[^,]+') do
      if not string.find(r[3], ',' .. skill .. ',', 1, true) then able = false break end
    end
    if able then table.insert(fit, r) end
  end
  if #fit > 0 then caller = candidate member = KEYS[at] ready = fit break end
end
if caller == nil then return {'none'} end
local chosen = {}
if strategy == 'ring_all' then
  chosen = ready
elseif strategy == 'most_idle' then
  table.sort(ready, function(x, y)
    if x[2] == y[2] then return x[1] < y[1] end
    return x[2] < y[2]
  end)
  for i = 1, math.min(ring, #ready) do chosen[i] = ready[i] end
else
  local last = redis.call('GET', KEYS[4]) or ''
  local start = 1
  for i, r in ipairs(ready) do
    if r[1] > last then start = i break end
  end
  for i = 0, math.min(ring, #ready) - 1 do
    chosen[i + 1] = ready[((start - 1 + i) % #ready) + 1]
  end
end
local now = tonumber(ARGV[2])
local offer = ARGV[3]
local node = redis.call('HGET', member, 'node') or ''
local names = {}
for _, c in ipairs(chosen) do
  local key, stats = KEYS[c[4]], KEYS[c[4] + 1]
  local since = tonumber(redis.call('HGET', key, 'since') or ARGV[2])
  local old = redis.call('HGET', key, 'state')
  if now > since then
    redis.call('HINCRBYFLOAT', stats, 'seconds_' .. old, now - since)
  end
  redis.call('HSET', key, 'state', ARGV[6], 'since', ARGV[2], 'offer', offer,
             'call_id', caller, 'queue', ARGV[1])
  redis.call('HINCRBY', key, 'version', 1)
  redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[7], '*', 'agent', c[1], 'event', 'offer',
             'from', old, 'to', ARGV[6], 'offer', offer, 'call', caller, 'at', ARGV[2])
  table.insert(names, c[1])
end
redis.call('ZREM', KEYS[1], caller)
redis.call('HSET', member, 'state', 'offered', 'offer', offer)
redis.call('HSET', KEYS[8], 'queue', ARGV[1], 'call_id', caller, 'node', node,
           'agents', table.concat(names, ','), 'outcome', 'pending', 'created_at', ARGV[2],
           'ring_timeout', conf['agent_ring_timeout'] or '15')
redis.call('ZADD', KEYS[5], now + lease, ARGV[8])
redis.call('SET', KEYS[4], names[#names])
redis.call('HINCRBY', KEYS[6], 'offers', 1)
local reply = {'offered', offer, caller, node}
for _, n in ipairs(names) do table.insert(reply, n) end
return reply
"""
)

_OUTCOME = """
local current = redis.call('HGET', KEYS[1], 'outcome')
if not current then return 'missing' end
local now = tonumber(ARGV[3])
if ARGV[1] == 'accepted' then
  if current ~= 'pending' then return current end
  redis.call('HSET', KEYS[1], 'outcome', 'accepted')
  redis.call('ZADD', KEYS[5], ARGV[6], ARGV[5])
  return 'accepted'
end
if current ~= 'pending' and current ~= 'accepted' then return current end
redis.call('HSET', KEYS[1], 'outcome', ARGV[1], 'winner', ARGV[2], 'settled_at', ARGV[3])
local m = redis.call('HMGET', KEYS[2], 'offer', 'score', 'entered_at')
if m[1] == ARGV[4] then
  if ARGV[1] == 'connected' then
    redis.call('HSET', KEYS[2], 'state', 'connected', 'agent', ARGV[2], 'connected_at', ARGV[3])
    redis.call('SREM', KEYS[6], redis.call('HGET', KEYS[1], 'call_id'))
    redis.call('HINCRBY', KEYS[4], 'handled', 1)
    redis.call('HINCRBYFLOAT', KEYS[4], 'wait_seconds', now - tonumber(m[3]))
    local call = redis.call('HGET', KEYS[1], 'call_id')
    redis.call('ZADD', KEYS[7], now, call .. ':' .. (now - tonumber(m[3])))
    redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - tonumber(ARGV[7]))
  else
    redis.call('HSET', KEYS[2], 'state', 'waiting')
    redis.call('HDEL', KEYS[2], 'offer')
    if ARGV[1] == 'failed' then redis.call('HINCRBY', KEYS[2], 'misses', 1) end
    redis.call('ZADD', KEYS[3], m[2], redis.call('HGET', KEYS[1], 'call_id'))
  end
end
if ARGV[1] == 'failed' then redis.call('HINCRBY', KEYS[4], 'missed', 1) end
return ARGV[1]
"""

_TAKE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], member) end
return due
"""


CallStatus = Callable[[str], str | None]
"""The status of a call's record (``active``, ``ending``, ``ended``; None: no record)."""

NOT_RUNNING = (None, STATUS_ENDED)
"""Statuses of a call that no longer runs (no record, or an ended one)."""

NO_RECORD_GRACE = 60.0
"""Seconds a caller whose call has no record may stay in line: a new call's record is
written when its first step commits, and that step may put the caller in a queue first;
an ended call's record is kept ``KAZOO_HANGUP_GRACE`` seconds (60 by default)."""


@dataclass(frozen=True)
class Offer:
    """A caller offered to agents."""

    offer_id: str
    queue_id: str
    call_id: str
    node: str
    agents: tuple[str, ...]


def lease_member(offer_id: str) -> str:
    """The due-set member of an offer's lease."""
    return json.dumps(["offer", offer_id, 0, "lease"])


def caller_event(name: str, call_id: str, node: str, now: float, **headers: str) -> CallEvent:
    """A synthetic event (sequence 0) for a caller's inbox."""
    return {
        "name": name,
        "call_id": call_id,
        "node": node,
        "timestamp": now,
        "sequence": 0,
        "received_at": now,
        "headers": {"Event-Name": name, "Unique-ID": call_id, **headers},
    }


def offer_event(offer: Offer, now: float) -> CallEvent:
    """The event that tells the caller's call about its offer."""
    headers = {
        "ACDc-Offer-ID": offer.offer_id,
        "ACDc-Queue-ID": offer.queue_id,
        "ACDc-Agents": ",".join(offer.agents),
    }
    return caller_event(OFFER_EVENT, offer.call_id, offer.node, now, **headers)


Deliver = Callable[[list[CallEvent]], None]
"""Puts events into the callers' inboxes and wakes their calls
(:func:`kazoo_tasks.inbox.deliver_many`)."""


class Distributor:
    """Offers, outcomes and leases of one account's queues."""

    def __init__(
        self,
        queues: Queues,
        deliver: Deliver | None = None,
        grace: float = OFFER_GRACE,
        call_status: CallStatus | None = None,
    ) -> None:
        self.queues = queues
        self.call_status = call_status
        """The status of a caller's call: an accepted offer of a live call is left to the
        call to settle, and a caller whose call has ended is taken out of line (None:
        leases of accepted offers expire like the others; callers are never taken out)."""
        self.agents = queues.agents
        self.client = queues.client
        self.deliver = deliver
        self.grace = grace
        self._claim = self.client.register_script(_CLAIM)
        self._outcome = self.client.register_script(_OUTCOME)
        self._take_due = self.client.register_script(_TAKE_DUE)

    @property
    def _due(self) -> str:
        return due_key(self.queues.namespace, self.queues.account_id)

    def offer_key(self, offer_id: str) -> str:
        """The offer's hash (:func:`acdc.keys.offer_key`)."""
        return offer_key(self.queues.namespace, self.queues.account_id, offer_id)

    # -- offering ---------------------------------------------------------------------------

    def claim(self, queue_id: str) -> Offer | None:
        """Offer the queue's next caller to the agents the strategy picks (None: no
        caller waits, or no agent is ready; or the roster and the line kept changing
        under the claim, :data:`acdc.lua.STALE_RETRIES` times: the sweep offers again)."""
        offer_id = uuid.uuid4().hex
        for _ in range(STALE_RETRIES):
            read = self.client.pipeline(transaction=False)
            read.smembers(self.queues.queue_key(queue_id, "roster"))
            read.zrange(self.queues.queue_key(queue_id, "waiting"), 0, SKILL_SCAN - 1)
            roster, callers = read.execute()
            if not roster or not callers:
                return None
            made = self.claim_among(queue_id, offer_id, sorted(roster), callers)
            if made != STALE:
                return made if isinstance(made, Offer) else None
        log.warning("queue %s: its roster and line kept changing; the sweep offers", queue_id)
        return None

    def claim_among(
        self, queue_id: str, offer_id: str, roster: list[str], callers: list[str]
    ) -> Offer | str | None:
        """One try of :meth:`claim`, given the queue's ``roster`` and the first callers of
        its line as read just before: the script is given their keys, and answers
        :data:`acdc.lua.STALE` (changing nothing) when it meets an agent or a caller it
        must look at that is not among them."""
        q = self.queues
        reply = self._claim(
            keys=[
                q.queue_key(queue_id, "waiting"),
                q.queue_key(queue_id, "roster"),
                q.queue_key(queue_id, "conf"),
                q.queue_key(queue_id, "rr"),
                self._due,
                q.queue_key(queue_id, "stats"),
                events_key(q.namespace, q.account_id),
                self.offer_key(offer_id),
                *keys_of(roster, self.agents.key, self.agents.stats_key),
                *keys_of(callers, q.member_key),
            ],
            args=[
                queue_id,
                q.clock(),
                offer_id,
                self.grace,
                ",".join(sources("offer")),
                RINGING,
                10_000,
                lease_member(offer_id),
                SKILL_SCAN,
                len(roster),
                len(callers),
                *roster,
                *callers,
            ],
        )
        if reply[0] == STALE:
            return STALE
        if reply[0] != "offered":
            return None
        return Offer(reply[1], queue_id, reply[2], reply[3], tuple(reply[4:]))

    def distribute(self, queue_id: str) -> list[Offer]:
        """Make every offer the queue can make now and deliver them to the callers
        (a distributor made without ``deliver`` cannot)."""
        if self.deliver is None:
            raise RuntimeError("this distributor cannot deliver offers")
        self.client.sadd(accounts_key(self.queues.namespace), self.queues.account_id)
        self._eject_if_empty(queue_id)
        made: list[Offer] = []
        for _ in range(MAX_CLAIMS):
            offer = self.claim(queue_id)
            if offer is None:
                break
            if self._gone(offer.call_id):
                self._take_out(queue_id, offer.call_id)  # its agents are free again
                continue
            made.append(offer)
        if made:
            now = self.queues.clock()
            self.deliver([offer_event(offer, now) for offer in made])
        return made

    def _eject_if_empty(self, queue_id: str) -> None:
        """A queue that keeps no callers without agents sends its waiting ones on."""
        conf = self.client.hgetall(self.queues.queue_key(queue_id, "conf"))
        if conf.get("enter_when_empty", "1") != "0" or self.queues.available(queue_id):
            return
        now = self.queues.clock()
        members = [m for m in self.queues.members(queue_id) if m.get("state") == WAITING]
        for gone in [m for m in members if self._gone(m["call_id"], m.get("entered_at"))]:
            self._take_out(queue_id, gone["call_id"])
            members.remove(gone)
        if members and self.deliver is not None:
            self.deliver([caller_event(EJECT_EVENT, m["call_id"], m["node"], now) for m in members])

    def _live(self, call_id: str) -> bool:
        """Whether the caller's call runs (has a record that has not ended)."""
        return self.call_status is not None and self.call_status(call_id) not in NOT_RUNNING

    def _gone(self, call_id: str, entered_at: str | None = None) -> bool:
        """Whether the caller's call has ended: its record says so, or it has none and
        the caller entered more than :data:`NO_RECORD_GRACE` seconds ago (read from its
        hash unless given)."""
        if self.call_status is None:
            return False
        status = self.call_status(call_id)
        if status is not None:
            return status == STATUS_ENDED
        if entered_at is None:
            entered_at = self.queues.member(call_id).get("entered_at")
        return self.queues.clock() - float(entered_at or "inf") >= NO_RECORD_GRACE

    def _take_out(self, queue_id: str, call_id: str) -> None:
        """A caller whose call ended without leaving its queue (its ``member_ended`` task
        lost): it leaves now, abandoned by hangup, instead of being offered to agents for
        ever. The queues its agents could serve are swept again within a tick."""
        left, _ = self.caller_left(queue_id, call_id, "hangup")
        if left is not None:
            log.warning(
                "queue %s: caller %s's call has ended but it was still in line; taken out",
                queue_id,
                call_id,
            )

    def offer(self, offer_id: str) -> dict[str, str]:
        """The offer's record (empty once expired from Redis)."""
        return self.client.hgetall(self.offer_key(offer_id))

    # -- outcomes ---------------------------------------------------------------------------

    def record(self, offer_id: str, outcome: str, winner: str = "") -> str:
        """Record what became of the offer (``connected`` with the ``winner``,
        ``failed``, ``expired``, ``gone``) unless an outcome was recorded already; returns
        the outcome that stands. ``accepted``: the caller starts ringing the agents."""
        offer = self.offer(offer_id)
        if not offer:
            return "missing"
        now = self.queues.clock()
        lease = now + float(offer.get("ring_timeout") or 15) + self.grace
        return str(
            self._outcome(
                keys=[
                    self.offer_key(offer_id),
                    self.queues.member_key(offer["call_id"]),
                    self.queues.queue_key(offer["queue"], "waiting"),
                    self.queues.queue_key(offer["queue"], "stats"),
                    self._due,
                    self.queues.queue_key(offer["queue"], "members"),
                    self.queues.queue_key(offer["queue"], "waits"),
                ],
                args=[outcome, winner, now, offer_id, lease_member(offer_id), lease, WAITS_KEPT],
            )
        )

    def accept(self, offer_id: str) -> bool:
        """The caller takes the offer and rings the agents: False when the offer is no
        longer pending (it expired, or the caller left)."""
        return self.record(offer_id, ACCEPTED) == ACCEPTED

    def settle(self, offer_id: str) -> set[str]:
        """Apply the offer's outcome to its agents (each fenced by the offer) and drop its
        lease; returns the queues worth offering again: those of the agents it made ready,
        and the offer's own unless its caller was connected (then nothing changed for the
        others: a caller taken by the only agent rung needs no new distribution)."""
        offer = self.offer(offer_id)
        if not offer or offer.get("outcome") in (None, PENDING, ACCEPTED):
            return set()
        outcome, winner = offer["outcome"], offer.get("winner", "")
        again = set() if outcome == CONNECTED else {offer["queue"]}
        for agent_id in filter(None, offer.get("agents", "").split(",")):
            if outcome == CONNECTED and agent_id == winner:
                self.agents.apply(agent_id, "connect", offer=offer_id)
                continue
            event = "miss" if outcome == FAILED else "release"
            done = self.agents.apply(agent_id, event, offer=offer_id)
            if done.ok and done.target == READY:
                again.update(self.queues.queues_of(agent_id))
        pipe = self.client.pipeline(transaction=False)
        pipe.zrem(self._due, lease_member(offer_id))
        pipe.expire(self.offer_key(offer_id), OFFER_TTL)
        pipe.execute()
        return again

    def conclude(self, offer_id: str, outcome: str, winner: str = "") -> set[str]:
        """:meth:`record` then :meth:`settle`; returns the queues to offer again."""
        self.record(offer_id, outcome, winner)
        return self.settle(offer_id)

    # -- callers leaving ----------------------------------------------------------------

    def caller_left(
        self, queue_id: str, call_id: str, reason: str, visit: str = ""
    ) -> tuple[Left | None, set[str]]:
        """The caller left the queue or its call ended: counted once (:meth:`Queues.leave`,
        ``visit`` as there); an offer it held is given up (its agents released); an agent
        it talked to hangs up (wrap-up). Returns what the caller was and the queues to
        offer again."""
        left = self.queues.leave(queue_id, call_id, reason, visit)
        if left is None:
            return None, set()
        again: set[str] = set()
        talked = left.state in ("connected", "ended")
        if left.offer and not talked:
            again |= self.conclude(left.offer, GONE)
        if talked:
            # a worker may have died after the connect was recorded, or after the caller
            # left: settle again (the winner's connect, fenced), then its hang-up
            again |= self.settle(left.offer)
            conf = self.client.hgetall(self.queues.queue_key(queue_id, "conf"))
            wrapup = float(conf.get("agent_wrapup_time") or 0)
            if left.agent:
                done = self.agents.apply(left.agent, "hangup", offer=left.offer, wrapup=wrapup)
                if done.ok:
                    again.update(self.queues.queues_of(left.agent))
            self.queues.forget(call_id)
        return left, again

    # -- the sweep ----------------------------------------------------------------------

    def sweep(self, now: float | None = None) -> set[str]:
        """Fire what is due in the account: agents' wrap-up and pause ends (fenced by
        version), offer leases (an offer without outcome expires, then is settled).
        Returns the queues to offer again."""
        at = self.queues.clock() if now is None else now
        due = self._take_due(keys=[self._due], args=[at, at + CLAIM_HOLD, SWEEP_BATCH])
        again: set[str] = set()
        for member in due:
            kind, ident, version, event = json.loads(member)
            try:
                fired = self._fire(kind, ident, int(version), event)
            except Exception:
                log.exception("ACDc due entry %s failed; retried in %.0f s", member, CLAIM_HOLD)
                continue
            if fired is None:  # looked at again in CLAIM_HOLD seconds
                continue
            again |= fired
            self.client.zrem(self._due, member)
        return again

    def _fire(self, kind: str, ident: str, version: int, event: str) -> set[str] | None:
        if kind == "offer":
            offer = self.offer(ident)
            live = self._live(offer.get("call_id", ""))
            if offer.get("outcome") == ACCEPTED and live:
                return None  # ringing or talking: its call's bridge result settles it
            self.record(ident, EXPIRED)
            return self.settle(ident)
        done = self.agents.apply(ident, event, version=version)
        return set(self.queues.queues_of(ident)) if done.ok else set()


def due_entries(client: Any, namespace: str, account_id: str) -> list[tuple[str, float]]:
    """The account's due set (operators and tests): member, due time."""
    rows = client.zrange(due_key(namespace, account_id), 0, -1, withscores=True)
    return [(member, float(score)) for member, score in rows]
