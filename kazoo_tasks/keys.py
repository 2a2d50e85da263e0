"""Redis key names. Every key of one call shares the hash tag ``{<call-id>}`` so that
all of them land in one Redis Cluster slot (multi-key scripts and transactions work)."""

from __future__ import annotations


def call_key(namespace: str, call_id: str, part: str) -> str:
    """Key ``part`` (state, inbox, lock, outbox, sent, ...) of one call."""
    return f"{namespace}:call:{{{call_id}}}:{part}"


def call_key_pattern(namespace: str, call_id: str) -> str:
    """A SCAN pattern matching every key of one call."""
    return f"{namespace}:call:{{{call_id}}}:*"


def changes_lease_key(namespace: str) -> str:
    """The lease the active ``changes`` process holds (its value names the holder)."""
    return f"{namespace}:changes:lease"
