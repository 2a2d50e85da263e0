"""Reading an account's ACDc event stream back: what the benchmark and the tests check."""

from __future__ import annotations

from typing import Any

from acdc.agent import LOGGED_OUT, PAUSED, READY, WRAPUP
from acdc.keys import events_key

FREE_STATES = frozenset({READY, PAUSED, LOGGED_OUT, WRAPUP})
"""States in which an agent has no caller (its offer or call is over)."""


def read_events(client: Any, namespace: str, account_id: str) -> list[dict[str, str]]:
    """Every entry of the account's stream, oldest first (``at`` is Unix seconds)."""
    return [entry for _, entry in client.xrange(events_key(namespace, account_id))]


def double_bookings(events: list[dict[str, str]]) -> list[str]:
    """Replays the agents' changes: each time an agent was offered a caller while it still
    had one (must never happen)."""
    busy: dict[str, str] = {}
    found: list[str] = []
    for entry in events:
        agent = entry.get("agent")
        if agent is None:  # a caller entering or leaving
            continue
        if entry["event"] == "offer":
            if agent in busy:
                found.append(f"agent {agent} offered {entry['call']} during {busy[agent]}")
            busy[agent] = entry["call"]
        elif entry["to"] in FREE_STATES:
            busy.pop(agent, None)
    return found
