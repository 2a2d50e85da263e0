"""What an agent (or a supervisor for it) asks: log in, log out, pause, resume, end
wrap-up. Used by the API (``agents/{id}/status``) and the ``acdc_agent`` callflow module,
so both behave the same.

Each action is the agent's state machine event (:mod:`acdc.agent`) plus the roster
changes that go with it; it returns the queues whose callers should be offered again (an
agent became ready) or checked (the last available agent left: a queue with
``enter_when_empty`` false sends its waiting callers on). The caller of an action sends
those to a worker (``kazoo.acdc.distribute``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from acdc.agent import LOGGED_OUT, MAX_CONNECT_FAILURES, Transition
from acdc.queue import Queues

ACTIONS = ("login", "logout", "pause", "resume", "end_wrapup")
"""What ``POST agents/{id}/status`` accepts (Kazoo's ``status``)."""
KAZOO_ACTIONS = {"paused": "pause", "resume": "resume", "login": "login", "logout": "logout"}
"""acdc_agent's ``action`` values, to ours."""


@dataclass(frozen=True)
class Outcome:
    """An action's result: the agent's ``transition`` and the ``queues`` to look at."""

    transition: Transition
    queues: set[str] = field(default_factory=set)

    @property
    def state(self) -> str:
        """The agent's state after the action (unchanged when it was refused)."""
        return self.transition.target


def act(
    queues: Queues,
    agent_id: str,
    action: str,
    user: Mapping[str, Any] | None = None,
    *,
    timeout: int | None = None,
    reason: str | None = None,
) -> Outcome:
    """Apply ``action`` (one of :data:`ACTIONS`) to the agent. ``user``: the agent's user
    document (login joins its ``queues`` and takes its ``acdc_skills``); ``timeout``,
    ``reason``: of a pause."""
    if action not in ACTIONS:
        raise ValueError(f"agent action {action!r}")
    agents = queues.agents
    if action == "login":
        for queue_id in (user or {}).get("queues") or []:
            queues.join(str(queue_id), agent_id)
        limit = (user or {}).get("acdc_max_connect_failures") or MAX_CONNECT_FAILURES
        skills = (user or {}).get("acdc_skills") or []
        done = agents.apply(agent_id, "login", max_misses=limit, skills=skills)
        if not done.ok and done.source != LOGGED_OUT:  # logged in already: nothing to do
            done = Transition(True, agent_id, "login", done.source, done.source, agent=done.agent)
        return Outcome(done, set(queues.queues_of(agent_id)))
    rostered = set(queues.queues_of(agent_id))
    if action == "logout":
        done = agents.apply(agent_id, "logout")
        if done.ok and not done.deferred:
            for queue_id in rostered:
                queues.part(queue_id, agent_id)
        return Outcome(done, rostered)
    if action == "pause":
        facts: dict[str, Any] = {"reason": reason or "paused"}
        if timeout is not None:
            facts["timeout"] = timeout
        return Outcome(agents.apply(agent_id, "pause", **facts), rostered)
    return Outcome(agents.apply(agent_id, action), rostered)
