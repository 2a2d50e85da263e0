"""Redis key names of ACDc.

Every key of one account's call center shares the hash tag ``{acdc:<account-id>}``, so
the scripts that move a caller and its agents in one step (:mod:`acdc.distributor`) touch
a single Redis Cluster slot. Only :func:`accounts_key` (the accounts the periodic sweep
visits) lies outside.
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


def accounts_key(namespace: str) -> str:
    """Accounts whose call center has live state (set), for the sweep."""
    return f"{namespace}:acdc:accounts"
