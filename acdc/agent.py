"""An ACDc agent: its state machine, declared as a table, and its state, kept in Redis.

:class:`AgentMachine` is the table (python-statemachine): which event moves an agent from
which state to which, with the two guards Kazoo's ``acdc_agent_fsm`` has (too many missed
calls pause the agent; a queue with wrap-up time sends it to ``wrapup``). No worker keeps
an agent in memory: :class:`Agents` reads the agent's hash, asks the table for the target
state and writes it back with one Lua script that first compares the agent's ``version``
(and, for the events of one offer, the agent's ``offer``): two workers racing on one agent
cannot both win, and an event about an offer that is no longer the agent's (a late
answer, a lease that expired) changes nothing. The loser reads again and retries, or is
told it was fenced.

Every change is appended to the account's event stream (:func:`acdc.keys.events_key`), which a
supervisor view and the tests read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from acdc import skills
from acdc.account import AccountState
from acdc.keys import agent_key, agent_stats_key, agents_key, due_key, events_key

LOGGED_OUT = "logged_out"
READY = "ready"
RINGING = "ringing"
ANSWERED = "answered"
WRAPUP = "wrapup"
PAUSED = "paused"
OUTBOUND = "outbound"

BUSY_STATES = frozenset({RINGING, ANSWERED, OUTBOUND})
"""States an agent leaves only when its call ends: a logout then waits for that."""
MAX_CONNECT_FAILURES = 3
"""Calls an agent may miss in a row before it is paused (Kazoo's ``max_connect_failures``)."""
DEFAULT_PAUSE = 600
"""Seconds a pause lasts when none is given (0 in a request: until resumed)."""
EVENTS_KEPT = 10_000
"""Entries kept in an account's ACDc event stream."""
RETRIES = 20


class AgentMachine(StateMachine):
    """The agent's states and what moves it between them (Kazoo's acdc_agent_fsm)."""

    logged_out = State(initial=True)
    ready = State()
    ringing = State()
    answered = State()
    wrapup = State()
    paused = State()
    outbound = State()

    login = logged_out.to(ready)
    logout = ready.to(logged_out) | paused.to(logged_out) | wrapup.to(logged_out)
    offer = ready.to(ringing)
    connect = ringing.to(answered)
    miss = ringing.to(paused, cond="too_many_misses") | ringing.to(ready)
    release = ringing.to(ready)
    hangup = answered.to(wrapup, cond="wraps_up") | answered.to(ready)
    end_wrapup = wrapup.to(ready)
    pause = ready.to(paused) | wrapup.to(paused) | paused.to.itself()
    resume = paused.to(ready)
    pause_expired = paused.to(ready)
    outbound_start = ready.to(outbound)
    outbound_end = outbound.to(ready)

    def too_many_misses(self, misses: int = 0, max_misses: int = MAX_CONNECT_FAILURES) -> bool:
        return misses >= max_misses

    def wraps_up(self, wrapup: float = 0) -> bool:
        return wrapup > 0


EVENTS = tuple(event.id for event in AgentMachine.events)
"""Every event name of the table."""


class NotAllowed(ValueError):
    """The event does not apply to the agent's current state."""


def next_state(state: str, event: str, **facts: Any) -> str:
    """The state ``event`` moves an agent in ``state`` to (``facts`` feed the guards:
    ``misses``, ``max_misses``, ``wrapup``); raises :class:`NotAllowed`."""
    if event not in EVENTS:
        raise NotAllowed(f"unknown agent event {event!r}")
    machine = AgentMachine(start_value=state)
    try:
        machine.send(event, **facts)
    except TransitionNotAllowed as refused:
        raise NotAllowed(f"{event} is not allowed in {state}") from refused
    return str(machine.current_state_value)


def sources(event: str) -> list[str]:
    """The states ``event`` may leave (for the scripts that move agents in Redis)."""
    return sorted(
        state.id for state in AgentMachine.states if any(t.match(event) for t in state.transitions)
    )


@dataclass(frozen=True)
class Transition:
    """What became of one event: ``ok`` with the ``source`` and ``target`` states, or
    refused with ``reason`` (``not_allowed``, ``fenced``, ``busy``). ``deferred``: a
    logout that takes effect when the agent's call ends."""

    ok: bool
    agent_id: str
    event: str
    source: str
    target: str
    reason: str = ""
    deferred: bool = False
    agent: dict[str, str] = field(default_factory=dict)


_APPLY = """
local version = redis.call('HGET', KEYS[1], 'version') or '0'
if version ~= ARGV[1] then return {0, version} end
if ARGV[2] ~= '*' and (redis.call('HGET', KEYS[1], 'offer') or '') ~= ARGV[2] then
  return {-1, version}
end
local now = tonumber(ARGV[3])
local old = redis.call('HGET', KEYS[1], 'state') or 'logged_out'
local since = tonumber(redis.call('HGET', KEYS[1], 'since') or ARGV[3])
if old ~= 'logged_out' and now > since then
  redis.call('HINCRBYFLOAT', KEYS[2], 'seconds_' .. old, now - since)
end
local set = cjson.decode(ARGV[4])
for k, v in pairs(set) do redis.call('HSET', KEYS[1], k, v) end
for _, k in ipairs(cjson.decode(ARGV[5])) do redis.call('HDEL', KEYS[1], k) end
local new = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('SADD', KEYS[3], ARGV[8])
if ARGV[6] ~= '' then redis.call('ZADD', KEYS[4], ARGV[7], ARGV[6]) end
for k, v in pairs(cjson.decode(ARGV[9])) do redis.call('HINCRBY', KEYS[2], k, v) end
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[10], '*', 'agent', ARGV[8],
           'event', ARGV[11], 'from', old, 'to', set['state'] or old,
           'offer', set['offer'] or ARGV[2], 'call', set['call_id'] or '', 'at', ARGV[3])
return {1, tostring(new)}
"""


def due_member(agent_id: str, version: int, event: str) -> str:
    """The due-set member that fires ``event`` on the agent if it is still at ``version``."""
    return json.dumps(["agent", agent_id, version, event])


class Agents(AccountState):
    """The agents of one account, in Redis (client with ``decode_responses=True``)."""

    def prepare(self) -> None:
        self._apply = self.client.register_script(_APPLY)

    def key(self, agent_id: str) -> str:
        """The agent's live hash (:func:`acdc.keys.agent_key`)."""
        return agent_key(self.namespace, self.account_id, agent_id)

    def stats_key(self, agent_id: str) -> str:
        """The agent's counters (:func:`acdc.keys.agent_stats_key`)."""
        return agent_stats_key(self.namespace, self.account_id, agent_id)

    def status(self, agent_id: str) -> dict[str, str]:
        """The agent's live hash (``state`` ``logged_out`` when it has none)."""
        found = self.client.hgetall(self.key(agent_id))
        return {"state": LOGGED_OUT, "version": "0", **found}

    def statuses(self) -> dict[str, dict[str, str]]:
        """Every agent with a live state, by id."""
        ids = sorted(self.client.smembers(agents_key(self.namespace, self.account_id)))
        pipe = self.client.pipeline(transaction=False)
        for agent_id in ids:
            pipe.hgetall(self.key(agent_id))
        return {a: {"state": LOGGED_OUT, **h} for a, h in zip(ids, pipe.execute(), strict=True)}

    def stats(self, agent_id: str) -> dict[str, float]:
        """The agent's counters: ``handled``, ``missed``, ``seconds_<state>``."""
        raw = self.client.hgetall(self.stats_key(agent_id))
        return {k: float(v) for k, v in raw.items()}

    def apply(
        self,
        agent_id: str,
        event: str,
        *,
        offer: str | None = None,
        version: int | None = None,
        **facts: Any,
    ) -> Transition:
        """Apply ``event`` to the agent, atomically. ``offer``: the event is about that
        offer and applies only while the agent holds it; ``version``: only while the agent
        is at that version (a timer armed then). ``facts``: ``wrapup`` (seconds, for
        ``hangup``), ``timeout`` and ``reason`` (``pause``), ``max_misses`` and
        ``skills`` (``login``), ``call`` (``outbound_start``: :mod:`acdc.outbound`)."""
        for _ in range(RETRIES):
            agent = self.status(agent_id)
            current = int(agent["version"])
            source = agent["state"]
            if version is not None and version != current:
                return Transition(False, agent_id, event, source, source, "fenced", agent=agent)
            if offer is not None and agent.get("offer", "") != offer:
                return Transition(False, agent_id, event, source, source, "fenced", agent=agent)
            plan = self._plan(agent, event, facts)
            if plan is None:
                refused = "not_allowed"
                return Transition(False, agent_id, event, source, source, refused, agent=agent)
            target, fields, dropped, due, counters, deferred = plan
            reply = self._apply(
                keys=[
                    self.key(agent_id),
                    self.stats_key(agent_id),
                    agents_key(self.namespace, self.account_id),
                    due_key(self.namespace, self.account_id),
                    events_key(self.namespace, self.account_id),
                ],
                args=[
                    current,
                    "*" if offer is None else offer,
                    self.clock(),
                    json.dumps(fields),
                    json.dumps(dropped),
                    due_member(agent_id, current + 1, due[1]) if due else "",
                    due[0] if due else 0,
                    agent_id,
                    json.dumps(counters),
                    EVENTS_KEPT,
                    event,
                ],
            )
            if int(reply[0]) == 1:
                return Transition(
                    True, agent_id, event, source, target, deferred=deferred, agent=agent
                )
            if int(reply[0]) == -1:
                return Transition(False, agent_id, event, source, source, "fenced", agent=agent)
        return Transition(False, agent_id, event, "?", "?", "busy")

    def _plan(self, agent: dict[str, str], event: str, facts: dict[str, Any]) -> Any:
        """(target, fields to set, fields to drop, due timer, counters, deferred) or None."""
        now = self.clock()
        source = agent["state"]
        if event == "logout" and source in BUSY_STATES:
            return source, {"logout_pending": "1"}, [], None, {}, True
        if event == "login" and source != LOGGED_OUT:
            return None
        misses = int(agent.get("misses") or 0) + (1 if event == "miss" else 0)
        max_misses = int(agent.get("max_misses") or MAX_CONNECT_FAILURES)
        wrapup = float(facts.get("wrapup") or 0)
        try:
            target = next_state(source, event, misses=misses, max_misses=max_misses, wrapup=wrapup)
        except NotAllowed:
            return None
        if target == READY and agent.get("logout_pending"):
            target = LOGGED_OUT
        fields: dict[str, Any] = {"state": target, "since": now}
        dropped: list[str] = []
        due: tuple[float, str] | None = None
        counters: dict[str, int] = {}
        if event == "login":
            fields.update(max_misses=int(facts.get("max_misses") or MAX_CONNECT_FAILURES))
            known = [s for s in facts.get("skills") or () if skills.valid_skill(str(s))]
            fields.update(skills=skills.encode(known))
            fields.update(misses=0, idle_since=now)
        if event in ("miss", "release"):
            dropped += ["offer", "call_id", "queue"]
        if event == "miss":
            counters["missed"] = 1
            fields["misses"] = misses
            if target == PAUSED:
                fields.update(misses=0, reason=f"missed {misses} calls in a row")
                dropped.append("until")
        if event == "connect":
            counters["handled"] = 1
            fields["misses"] = 0
        if event == "hangup":
            dropped += ["offer"]
            fields["last_call_end"] = now
            if target == WRAPUP:
                fields["until"] = now + wrapup
                due = (now + wrapup, "end_wrapup")
        if event == "outbound_start":
            fields.update(offer=f"outbound:{facts.get('call') or ''}", call_id=facts.get("call"))
        if event == "pause":
            timeout = float(facts.get("timeout", DEFAULT_PAUSE) or 0)
            fields["reason"] = str(facts.get("reason") or "paused")
            if timeout > 0:
                fields["until"] = now + timeout
                due = (now + timeout, "pause_expired")
            else:
                dropped.append("until")
        if target == READY:
            dropped += ["reason", "until", "call_id", "queue", "offer"]
            if event != "release":
                fields["idle_since"] = now
        if target == LOGGED_OUT:
            dropped += ["reason", "until", "call_id", "queue", "offer", "logout_pending", "misses"]
        return target, fields, sorted(set(dropped)), due, counters, False
