"""An ACDc queue: its settings (Kazoo's ``queues`` document), its callers and its roster.

Callers wait in a sorted set per queue (higher priority first, then first come), each with
a small hash of its own (``member:<call-id>``: queue, state ``waiting`` / ``offered`` /
``connected``, entry time, its score, the switch node). Entering and leaving are Lua
scripts, so a caller is counted once however often a step re-runs, and
``waiting + handled + abandoned = entered`` holds at every instant: a caller is
``entered`` when it joins, ``handled`` when an agent answers, ``abandoned`` (with the way
it left: ``hangup``, ``timeout``, ``exit_key``, ``no_agents``) when it leaves otherwise;
the callers in between are the queue's ``members``.

The roster is the set of agents logged into the queue; an agent's hash (state, offer)
lives in :mod:`acdc.agent`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from acdc.account import AccountState
from acdc.agent import EVENTS_KEPT, LOGGED_OUT, PAUSED, Agents
from acdc.announcements import Announcements
from acdc.keys import (
    agent_queues_key,
    busy_queues_key,
    call_stats_key,
    events_key,
    member_key,
    queue_key,
    queue_prefix,
)
from acdc.lua import DECLARED, STALE, STALE_RETRIES, StaleSet, keys_of
from acdc.skills import encode as encode_skills

ENTERED = "entered"
FULL = "full"
EMPTY = "empty"
ALREADY = "already"

WAITING = "waiting"
OFFERED = "offered"
CONNECTED = "connected"

LEAVE_REASONS = ("hangup", "timeout", "exit_key", "no_agents", "transfer")
PRIORITY_WEIGHT = 1_000_000_000
"""Score a priority point is worth (seconds of waiting): a higher priority always first."""
STRATEGIES = ("round_robin", "most_idle", "ring_all")
WAITS_KEPT = 86_400
"""Seconds the wait of each connected caller is kept (``acdc_wait_time``'s window)."""


@dataclass(frozen=True)
class QueueConfig:
    """The settings of a queue document that distribution uses, with Kazoo's defaults."""

    queue_id: str
    name: str = ""
    strategy: str = "round_robin"
    ring_simultaneously: int = 1
    agent_ring_timeout: int = 15
    connection_timeout: int = 3600
    max_queue_size: int = 0
    enter_when_empty: bool = True
    agent_wrapup_time: int = 0
    caller_exit_key: str = "#"
    moh: str | None = None
    announce: str | None = None
    announcements: Announcements = field(default_factory=Announcements)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> QueueConfig:
        """From a queue document (missing keys: Kazoo's defaults)."""

        def get(key: str, default: Any) -> Any:
            value = doc.get(key)
            return default if value is None else value

        return cls(
            queue_id=str(doc["_id"]),
            name=str(doc.get("name") or ""),
            strategy=str(get("strategy", "round_robin")),
            ring_simultaneously=max(int(get("ring_simultaneously", 1)), 1),
            agent_ring_timeout=max(int(get("agent_ring_timeout", 15)), 1),
            connection_timeout=max(int(get("connection_timeout", 3600)), 0),
            max_queue_size=max(int(get("max_queue_size", 0)), 0),
            enter_when_empty=bool(get("enter_when_empty", True)),
            agent_wrapup_time=max(int(get("agent_wrapup_time", 0)), 0),
            caller_exit_key=str(get("caller_exit_key", "#")),
            moh=doc.get("moh") or None,
            announce=doc.get("announce") or None,
            announcements=Announcements.from_doc(doc.get("announcements")),
        )

    def conf_fields(self) -> dict[str, Any]:
        """What the distributor reads from Redis (``queue:<id>:conf``)."""
        return {
            "strategy": self.strategy,
            "ring_simultaneously": self.ring_simultaneously,
            "agent_ring_timeout": self.agent_ring_timeout,
            "agent_wrapup_time": self.agent_wrapup_time,
            "enter_when_empty": 1 if self.enter_when_empty else 0,
        }


_ENTER = (
    DECLARED
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'already' end
local size = tonumber(ARGV[5])
if size > 0 and redis.call('SCARD', KEYS[3]) >= size then
  redis.call('HINCRBY', KEYS[4], 'refused_full', 1)
  return 'full'
end
local roster = tonumber(ARGV[7])
if ARGV[6] == '0' then
  local agent_at = declared(9, 13, roster, 1)
  local available = 0
  for _, agent in ipairs(redis.call('SMEMBERS', KEYS[5])) do
    if not agent_at[agent] then return 'stale' end
    local state = redis.call('HGET', KEYS[agent_at[agent]], 'state') or 'logged_out'
    if state ~= 'logged_out' and state ~= 'paused' then available = available + 1 end
  end
  if available == 0 then
    redis.call('HINCRBY', KEYS[4], 'refused_empty', 1)
    return 'empty'
  end
end
local score = tonumber(ARGV[3]) - tonumber(ARGV[4]) * tonumber(ARGV[8])
redis.call('HSET', KEYS[1], 'queue', ARGV[1], 'state', 'waiting', 'score', score,
           'entered_at', ARGV[3], 'priority', ARGV[4], 'node', ARGV[9], 'call_id', ARGV[2],
           'visit', ARGV[11], 'skills', ARGV[12])
redis.call('ZADD', KEYS[2], score, ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('SADD', KEYS[8], ARGV[1])
redis.call('HINCRBY', KEYS[4], 'entered', 1)
redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[10], '*', 'event', 'enter', 'call', ARGV[2],
           'queue', ARGV[1], 'at', ARGV[3])
for i = 13 + roster, #ARGV, 2 do redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 1]) end
return 'entered'
"""
)

_LEAVE = """
local member = redis.call('HGETALL', KEYS[1])
if #member == 0 then return {} end
local m = {}
for i = 1, #member, 2 do m[member[i]] = member[i + 1] end
if m['queue'] ~= ARGV[1] then return {} end
if ARGV[6] ~= '' and (m['visit'] or '') ~= ARGV[6] then return {} end
if m['state'] == 'ended' then return {'ended', m['offer'] or '', m['agent'] or ''} end
local now = tonumber(ARGV[3])
if m['state'] == 'connected' then
  redis.call('HINCRBYFLOAT', KEYS[4], 'talk_seconds', now - tonumber(m['connected_at']))
  redis.call('HSET', KEYS[1], 'state', 'ended')
  redis.call('EXPIRE', KEYS[1], 86400)
else
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('SREM', KEYS[3], ARGV[2])
  redis.call('HINCRBY', KEYS[4], 'abandoned', 1)
  redis.call('HINCRBY', KEYS[4], 'abandoned_' .. ARGV[4], 1)
  redis.call('HINCRBYFLOAT', KEYS[4], 'abandoned_wait_seconds', now - tonumber(m['entered_at']))
  redis.call('DEL', KEYS[1])
end
local stat = {call_id = ARGV[2], queue_id = ARGV[1], entered_at = tonumber(m['entered_at']),
              caller_priority = tonumber(m['priority'] or '0'),
              misses = tonumber(m['misses'] or '0'), left_at = now}
if m['state'] == 'connected' then
  stat['status'] = 'handled'
  stat['agent_id'] = m['agent']
  stat['handled_at'] = tonumber(m['connected_at'])
  stat['wait_time'] = tonumber(m['connected_at']) - tonumber(m['entered_at'])
  stat['talk_time'] = now - tonumber(m['connected_at'])
else
  stat['status'] = 'abandoned'
  stat['abandoned_reason'] = ARGV[4]
  stat['wait_time'] = now - tonumber(m['entered_at'])
end
redis.call('RPUSH', KEYS[6], cjson.encode(stat))
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[5], '*', 'event', 'leave', 'call', ARGV[2],
           'queue', ARGV[1], 'reason', m['state'] == 'connected' and 'handled' or ARGV[4],
           'at', ARGV[3])
return {m['state'], m['offer'] or '', m['agent'] or ''}
"""


_IDLE = """
if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('SREM', KEYS[1], ARGV[1]) end
"""


@dataclass(frozen=True)
class Left:
    """What a caller was when it left: ``state`` (waiting, offered, connected), the
    ``offer`` it held and the ``agent`` it talked to."""

    state: str
    offer: str = ""
    agent: str = ""


class Queues(AccountState):
    """The queues and callers of one account in Redis (``decode_responses=True``)."""

    def prepare(self) -> None:
        self.agents = Agents(self.client, self.namespace, self.account_id, self.clock)
        self._enter = self.client.register_script(_ENTER)
        self._leave = self.client.register_script(_LEAVE)
        self._idle = self.client.register_script(_IDLE)

    def queue_key(self, queue_id: str, part: str) -> str:
        """Key ``part`` of the queue (:func:`acdc.keys.queue_key`)."""
        return queue_key(self.namespace, self.account_id, queue_id, part)

    def member_key(self, call_id: str) -> str:
        """The caller's hash (:func:`acdc.keys.member_key`)."""
        return member_key(self.namespace, self.account_id, call_id)

    # -- callers --------------------------------------------------------------------------

    def enter(
        self,
        config: QueueConfig,
        call_id: str,
        node: str,
        priority: int = 0,
        visit: str = "",
        skills: Iterable[str] = (),
    ) -> str:
        """Put the caller in the queue: :data:`ENTERED` (or :data:`ALREADY`, a step that
        re-runs), :data:`FULL` (``max_queue_size``) or :data:`EMPTY` (no agent available
        and ``enter_when_empty`` false). ``visit`` tells this stay in a queue from a later
        one of the same call (after a transfer): see :meth:`leave`. ``skills``: what an
        agent needs to be offered this caller (:mod:`acdc.skills`). Raises
        :class:`acdc.lua.StaleSet` if the roster of a queue that refuses callers without
        agents kept changing while the caller entered (:data:`acdc.lua.STALE_RETRIES`
        joins or leaves, each between a read and the script): the caller is not in."""
        q = config.queue_id
        conf = [str(x) for pair in config.conf_fields().items() for x in pair]
        for _ in range(STALE_RETRIES):
            # without agents the queue may refuse the caller: the script reads the state
            # of each agent of the roster, so it is given their keys
            roster = [] if config.enter_when_empty else self.roster(q)
            reply = self._enter(
                keys=[
                    self.member_key(call_id),
                    self.queue_key(q, "waiting"),
                    self.queue_key(q, "members"),
                    self.queue_key(q, "stats"),
                    self.queue_key(q, "roster"),
                    self.queue_key(q, "conf"),
                    events_key(self.namespace, self.account_id),
                    busy_queues_key(self.namespace, self.account_id),
                    *keys_of(roster, self.agents.key),
                ],
                args=[
                    q,
                    call_id,
                    self.clock(),
                    int(priority),
                    config.max_queue_size,
                    "1" if config.enter_when_empty else "0",
                    len(roster),
                    PRIORITY_WEIGHT,
                    node,
                    EVENTS_KEPT,
                    visit,
                    encode_skills(skills),
                    *roster,
                    *conf,
                ],
            )
            if reply != STALE:
                return str(reply)
        raise StaleSet(f"the roster of queue {q} kept changing while {call_id} entered")

    def leave(self, queue_id: str, call_id: str, reason: str, visit: str = "") -> Left | None:
        """The caller leaves (or its call ended): counted abandoned with ``reason`` unless
        it was connected (then its talk time is counted, and it stays ``ended`` until
        :meth:`forget` once its agent hung up). None when it was not in the queue (left
        already: a second call counts nothing); ``ended`` when it was connected and left
        already (its agent may still have to hang up). ``visit``: only that stay of the
        caller (a late task about an earlier one leaves a later one alone)."""
        if reason not in LEAVE_REASONS:
            raise ValueError(f"leave reason {reason!r}")
        reply = self._leave(
            keys=[
                self.member_key(call_id),
                self.queue_key(queue_id, "waiting"),
                self.queue_key(queue_id, "members"),
                self.queue_key(queue_id, "stats"),
                events_key(self.namespace, self.account_id),
                call_stats_key(self.namespace, self.account_id),
            ],
            args=[queue_id, call_id, self.clock(), reason, EVENTS_KEPT, visit],
        )
        return Left(*reply) if reply else None

    def pending_call_stats(self, limit: int = 500) -> list[dict[str, Any]]:
        """The oldest call stats not archived yet (each caller's record, written when it
        left its queue): see :meth:`archived`."""
        rows = self.client.lrange(call_stats_key(self.namespace, self.account_id), 0, limit - 1)
        return [json.loads(row) for row in rows]

    def archived(self, count: int) -> None:
        """Drop the ``count`` oldest call stats (stored in the account's database)."""
        self.client.ltrim(call_stats_key(self.namespace, self.account_id), count, -1)

    def forget(self, call_id: str) -> None:
        """Drop an ended caller's hash (its agent has hung up)."""
        self.client.delete(self.member_key(call_id))

    def member(self, call_id: str) -> dict[str, str]:
        """The caller's hash (empty when it is in no queue)."""
        return self.client.hgetall(self.member_key(call_id))

    def waiting(self, queue_id: str) -> list[str]:
        """Callers waiting for an offer, next first."""
        return list(self.client.zrange(self.queue_key(queue_id, "waiting"), 0, -1))

    def members(self, queue_id: str) -> list[dict[str, str]]:
        """Every caller in the queue (waiting or being offered), next first."""
        ids = sorted(self.client.smembers(self.queue_key(queue_id, "members")))
        pipe = self.client.pipeline(transaction=False)
        for call_id in ids:
            pipe.hgetall(self.member_key(call_id))
        found = [m for m in pipe.execute() if m]
        return sorted(found, key=lambda m: float(m.get("score") or 0))

    def stats(self, queue_id: str) -> dict[str, float]:
        """The queue's counters (entered, handled, abandoned[_reason], missed, ...) and
        ``waiting``, the callers in it now."""
        raw = self.client.hgetall(self.queue_key(queue_id, "stats"))
        counters = {k: float(v) for k, v in raw.items()}
        counters["waiting"] = float(self.client.scard(self.queue_key(queue_id, "members")))
        return counters

    def position(self, queue_id: str, call_id: str) -> int | None:
        """The caller's place in line (1: offered next; None: not waiting now)."""
        rank = self.client.zrank(self.queue_key(queue_id, "waiting"), call_id)
        return None if rank is None else int(rank) + 1

    def average_wait(self, queue_id: str, window: float | None = None) -> float:
        """Average seconds the callers connected in the last ``window`` seconds (all
        kept: the last day) waited; 0 when none was."""
        since = self.clock() - (window or WAITS_KEPT)
        rows = self.client.zrangebyscore(self.queue_key(queue_id, "waits"), since, "+inf")
        waits = [float(row.rsplit(":", 1)[1]) for row in rows]
        return sum(waits) / len(waits) if waits else 0.0

    def service_level(self, queue_id: str, threshold: float) -> tuple[int, int]:
        """(callers connected in the last day, those of them who waited at most
        ``threshold`` seconds): the queue's service level, e.g. 80 % within 20 s."""
        since = self.clock() - WAITS_KEPT
        rows = self.client.zrangebyscore(self.queue_key(queue_id, "waits"), since, "+inf")
        waits = [float(row.rsplit(":", 1)[1]) for row in rows]
        return len(waits), sum(1 for wait in waits if wait <= threshold)

    def busy_queues(self) -> list[str]:
        """Queues that may have callers waiting (a queue leaves the set once the sweep
        finds none: :meth:`settle_idle`)."""
        return sorted(self.client.smembers(busy_queues_key(self.namespace, self.account_id)))

    def settle_idle(self, queue_id: str) -> None:
        """Forget a queue in :meth:`busy_queues` if nobody waits in it (atomically: a
        caller entering meanwhile keeps it)."""
        busy = busy_queues_key(self.namespace, self.account_id)
        self._idle(keys=[busy, self.queue_key(queue_id, "waiting")], args=[queue_id])

    def queue_ids(self) -> list[str]:
        """Queues of the account that have live state."""
        prefix = queue_prefix(self.namespace, self.account_id)
        found = {
            key[len(prefix) :].rsplit(":", 1)[0]
            for key in self.client.scan_iter(f"{prefix}*:stats", count=1000)
        }
        found |= {
            key[len(prefix) :].rsplit(":", 1)[0]
            for key in self.client.scan_iter(f"{prefix}*:roster", count=1000)
        }
        return sorted(found)

    # -- the roster -----------------------------------------------------------------------

    def join(self, queue_id: str, agent_id: str) -> None:
        """The agent takes calls from the queue (while logged in)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.sadd(self.queue_key(queue_id, "roster"), agent_id)
        pipe.sadd(agent_queues_key(self.namespace, self.account_id, agent_id), queue_id)
        pipe.execute()

    def part(self, queue_id: str, agent_id: str) -> None:
        """The agent stops taking calls from the queue."""
        pipe = self.client.pipeline(transaction=True)
        pipe.srem(self.queue_key(queue_id, "roster"), agent_id)
        pipe.srem(agent_queues_key(self.namespace, self.account_id, agent_id), queue_id)
        pipe.execute()

    def roster(self, queue_id: str) -> list[str]:
        """Agents logged into the queue."""
        return sorted(self.client.smembers(self.queue_key(queue_id, "roster")))

    def queues_of(self, agent_id: str) -> list[str]:
        """Queues the agent is logged into."""
        key = agent_queues_key(self.namespace, self.account_id, agent_id)
        return sorted(self.client.smembers(key))

    def available(self, queue_id: str) -> int:
        """Agents of the roster who are logged in and not paused."""
        states = [self.agents.status(a)["state"] for a in self.roster(queue_id)]
        return sum(1 for s in states if s not in (LOGGED_OUT, PAUSED))
