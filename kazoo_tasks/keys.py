"""Redis key names. Every key of one call shares the hash tag ``{<call-id>}`` so that
all of them land in one Redis Cluster slot (multi-key scripts and transactions work)."""

from __future__ import annotations

import re

_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


def call_key(namespace: str, call_id: str, part: str) -> str:
    """Key ``part`` (state, inbox, lock, outbox, sent, ...) of one call."""
    return f"{namespace}:call:{{{call_id}}}:{part}"


def call_key_pattern(namespace: str, call_id: str) -> str:
    """A SCAN pattern matching every key of one call."""
    return f"{namespace}:call:{{{call_id}}}:*"


def node_key(namespace: str, node: str, part: str) -> str:
    """Key ``part`` (lease, alive, controlled, stats...) of one FreeSWITCH node."""
    return f"{namespace}:node:{node}:{part}"


def registration_key(namespace: str, realm: str, user: str) -> str:
    """Key holding the live SIP registration of ``user@realm``; its hash tag
    ``{<realm>:<user>}`` puts it in the slot of its :func:`registration_tombstone_key`."""
    return f"{namespace}:registration:{{{realm}:{user}}}"


def registration_tombstone_key(namespace: str, realm: str, user: str) -> str:
    """Key remembering a recent unregister of ``user@realm`` (outside the listing prefix;
    same hash tag as its :func:`registration_key`)."""
    return f"{namespace}:registration-gone:{{{realm}:{user}}}"


def registration_pattern(namespace: str, realm: str = "*") -> str:
    """A SCAN pattern matching the live registrations of one realm (default: all)."""
    if realm == "*":
        return f"{namespace}:registration:*"
    escaped = _GLOB_SPECIAL.sub(r"\\\1", realm)
    return f"{namespace}:registration:{{{escaped}:*"


def changes_lease_key(namespace: str) -> str:
    """The lease the active ``changes`` process holds (its value names the holder)."""
    return f"{namespace}:changes:lease"


def camp_key(namespace: str, account_id: str, part: str) -> str:
    """Key ``part`` (``req:<member>``, ``claimed:<member>``, ``device:<id>``) of an
    account's camp requests (``camping_feature``); the hash tag ``{camp:<account>}`` keeps
    them in one Redis Cluster slot, so one script may touch several."""
    return f"{namespace}:camp:{{camp:{account_id}}}:{part}"
