"""Redis key names of ACDc: the one place that names them.

Every key of one account's call center shares the hash tag ``{<account-id>}``
(``<ns>:acdc:{<account-id>}:<part>``), so the scripts that move a caller and its agents
in one step (:mod:`acdc.distributor`) touch a single Redis Cluster slot. Only
:func:`accounts_key` (the accounts the periodic sweep visits) lies outside.

Each Lua script of ACDc receives every key it reads or writes in ``KEYS``, named here by
the Python side: a script never builds a key name from a prefix. A script that touches a
set of keys known only in Redis (the agents of a roster, the callers at the head of a
line) is given the keys of the set as the Python side read it, and refuses to run
(``stale``) when it finds a member that was not declared (see :mod:`acdc.lua`).
"""

from __future__ import annotations


def acdc_key(namespace: str, account_id: str, part: str) -> str:
    """Key ``part`` of one account's call center."""
    return f"{namespace}:acdc:{{{account_id}}}:{part}"


def agent_key(namespace: str, account_id: str, agent_id: str) -> str:
    """The agent's live state (hash): state, version, offer, call, since..."""
    return acdc_key(namespace, account_id, f"agent:{agent_id}")


def agent_stats_key(namespace: str, account_id: str, agent_id: str) -> str:
    """The agent's counters (hash): handled, missed, seconds in each state."""
    return acdc_key(namespace, account_id, f"agent:{agent_id}:stats")


def agent_queues_key(namespace: str, account_id: str, agent_id: str) -> str:
    """The queues the agent is logged into (set)."""
    return acdc_key(namespace, account_id, f"agent:{agent_id}:queues")


def agents_key(namespace: str, account_id: str) -> str:
    """Every agent of the account that has a live state (set)."""
    return acdc_key(namespace, account_id, "agents")


def due_key(namespace: str, account_id: str) -> str:
    """The account's ACDc timers (sorted set by due time): wrap-up and pause ends, offer
    leases."""
    return acdc_key(namespace, account_id, "due")


def events_key(namespace: str, account_id: str) -> str:
    """The account's ACDc event stream (agent changes, callers entering and leaving)."""
    return acdc_key(namespace, account_id, "events")


def queue_key(namespace: str, account_id: str, queue_id: str, part: str) -> str:
    """Key ``part`` of one queue: ``waiting`` (sorted set of callers), ``members`` (set),
    ``roster`` (set of agents), ``conf`` and ``stats`` (hashes), ``rr`` (the last agent
    offered), ``waits`` (sorted set of connected callers' waits)."""
    return acdc_key(namespace, account_id, f"queue:{queue_id}:{part}")


def queue_prefix(namespace: str, account_id: str) -> str:
    """What every :func:`queue_key` of the account starts with (to scan for queues)."""
    return acdc_key(namespace, account_id, "queue:")


def member_key(namespace: str, account_id: str, call_id: str) -> str:
    """A caller in a queue (hash): queue, state, score, offer, agent..."""
    return acdc_key(namespace, account_id, f"member:{call_id}")


def offer_key(namespace: str, account_id: str, offer_id: str) -> str:
    """An offer of a caller to agents (hash): queue, caller, agents, outcome..."""
    return acdc_key(namespace, account_id, f"offer:{offer_id}")


def busy_queues_key(namespace: str, account_id: str) -> str:
    """Queues that may have callers waiting (set), for the sweep."""
    return acdc_key(namespace, account_id, "busy_queues")


def call_stats_key(namespace: str, account_id: str) -> str:
    """Records of callers who left their queue, not archived yet (list of JSON)."""
    return acdc_key(namespace, account_id, "call_stats")


def accounts_key(namespace: str) -> str:
    """Accounts whose call center has live state (set), for the sweep."""
    return f"{namespace}:acdc:accounts"
