"""Declaring a set of keys to a Lua script when the set itself lives in Redis.

A script must receive every key it touches in ``KEYS`` (a Redis Cluster routes a script by
those keys; see :mod:`acdc.keys`). When the keys follow from a set only Redis knows (the
agents of a queue's roster, the callers at the head of its line), the Python side reads
the set first and passes each member's id in ``ARGV`` and its keys in ``KEYS``; the
script, running atomically, reads the set again and answers :data:`STALE` without
changing anything when it meets a member that was not declared (it joined in between).
The caller then reads the set again and retries (:data:`STALE_RETRIES` times).

:data:`DECLARED` is the Lua function the scripts share: ``declared(first_key, first_arg,
count, stride)`` maps each of the ``count`` ids in ``ARGV[first_arg ...]`` to the index in
``KEYS`` of its first key (``first_key``, then every ``stride`` keys).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

STALE = "stale"
"""A script's answer when a set changed between the read and the script."""
STALE_RETRIES = 20
"""Times a caller reads a set again after a :data:`STALE` answer."""

DECLARED = """
local function declared(first_key, first_arg, count, stride)
  local at = {}
  for i = 0, count - 1 do at[ARGV[first_arg + i]] = first_key + i * stride end
  return at
end
"""


class StaleSet(RuntimeError):
    """A set kept changing between the read and the script (:data:`STALE_RETRIES` times)."""


def keys_of(ids: Iterable[str], *namers: Callable[[str], str]) -> list[str]:
    """The keys of each id in turn, one per namer (the ``stride`` of :data:`DECLARED`)."""
    return [name(member) for member in ids for name in namers]
