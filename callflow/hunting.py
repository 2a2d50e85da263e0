"""Routing a number from inside a flow, as Kazoo's cf_menu, cf_branch_bnumber and
cf_privacy do: a regular expression test with Kazoo's allow/deny rules, and the look-up of
the account's callflow for a number, turned into a :class:`~callflow.outcomes.Branch`."""

from __future__ import annotations

import regex

from callflow import router
from callflow.context import NodeContext
from callflow.outcomes import Branch

SEARCH_TIMEOUT = 0.1
"""Seconds one regular expression search may take (a pattern from a document must not
hold a worker)."""


def search(pattern: str, text: str) -> bool | None:
    """Whether ``pattern`` matches within ``text`` (Kazoo's ``re:run``); None when the
    pattern is not a valid regular expression (or takes too long)."""
    try:
        return regex.search(pattern, text, timeout=SEARCH_TIMEOUT) is not None
    except (regex.error, TimeoutError):
        return None


def hunt_allowed(number: str, allow: str, deny: str) -> bool:
    """Kazoo's ``hunt_allow`` / ``hunt_deny``: ``number`` may be routed when ``allow`` is
    empty or matches it and ``deny`` is empty or does not. An invalid ``allow`` refuses,
    an invalid ``deny`` does not."""
    return (not allow or search(allow, number) is True) and not (
        deny and search(deny, number) is True
    )


def find_route(
    ctx: NodeContext, number: str, *, allow_no_match: bool = False, only_no_match: bool = False
) -> Branch | None:
    """The branch to the account's callflow for ``number`` (its numbers, then its patterns;
    the ``no_match`` callflow only when ``allow_no_match``; nothing else with
    ``only_no_match``), carrying the capture groups of the pattern it matched; None when
    nothing routes it."""
    found = router.route(ctx.documents(), ctx.call["account_id"], number, ctx.cache)
    if isinstance(found, router.NoRoute):
        return None
    no_match = found.matched_by == router.NO_MATCH
    if (no_match and not (allow_no_match or only_no_match)) or (only_no_match and not no_match):
        return None
    return Branch(
        found.callflow["_id"],
        capture_group=found.capture_group,
        capture_groups=tuple(sorted(found.capture_groups.items())),
    )


def may_reach_no_match(ctx: NodeContext) -> bool:
    """Whether a number routed for this call may land on the account's ``no_match``
    callflow (Kazoo's ``cf_route_req:allow_no_match``): a call from one of its devices."""
    return bool(ctx.call["ccvs"].get("Authorizing-ID"))
