"""What a callflow module tells the navigator when it has done its part.

A module's ``start`` and ``on_event`` return one of these; the navigator (cf_exe) then
moves the call: :class:`Continue` to a child, :class:`Attempt` a child without the
wildcard fallback, :class:`Branch` to another callflow, :class:`BranchWith` a flow the
module was given (a function's), :class:`ContinueWith` a flow the module was given (a
pivot server's), :class:`Stop` (return to the
flow that branched here, or end the call), :class:`HardStop` (end the call whatever the
stack holds), or :class:`Wait` for the next event of the call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_CHILD = "_"
"""The wildcard child key, every node's default way out."""


@dataclass(frozen=True)
class Wait:
    """Keep this node current; ``on_event`` gets the call's next event."""


@dataclass(frozen=True)
class Continue:
    """Go to child ``key``, or to ``_`` when there is no such child, or stop when neither."""

    key: str = DEFAULT_CHILD


@dataclass(frozen=True)
class Stop:
    """Return to the flow that branched here (at its ``_``); with none, hang up.

    ``cause`` is the hangup cause used when the call ends here (NORMAL_CLEARING if None).
    """

    cause: str | None = None


@dataclass(frozen=True)
class HardStop:
    """End the call now, ignoring the branch stack."""

    cause: str | None = None


@dataclass(frozen=True)
class Attempt:
    """Go to child ``key`` if it exists (no ``_`` fallback); otherwise apply ``otherwise``."""

    key: str
    otherwise: Continue | Stop | HardStop = field(default_factory=Stop)


@dataclass(frozen=True)
class Branch:
    """Run callflow ``callflow_id`` of the call's account; this node's ``_`` child is
    pushed on the branch stack and resumed when that flow stops.

    ``capture_group`` / ``capture_groups``, when given, replace the call's (a menu that
    routes dialed digits as a new number hands over what that number's pattern captured,
    as Kazoo's cf_menu does)."""

    callflow_id: str
    capture_group: str | None = None
    capture_groups: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class ContinueWith:
    """Run ``flow`` (a flow tree, validated by :func:`callflow.flow_tree.load_node`) in place
    of the rest of this one, as Kazoo's ``cf_exe:continue_with_flow`` does for a pivot: no
    branch is pushed, so when that flow stops the call returns to the flow that branched
    here (or ends). The trace names it ``<name>-<n>``."""

    flow: dict[str, Any]
    name: str = "inline"


@dataclass(frozen=True)
class BranchWith:
    """Run ``flow`` (a flow tree, validated by :func:`callflow.flow_tree.load_node`) as a
    branch, as Kazoo's ``cf_exe:branch`` does for a function's flow: this node's ``_``
    child is pushed on the branch stack (resumed when that flow stops) and the branch
    counts towards the call's branch limit. The trace names it ``<name>-<n>``."""

    flow: dict[str, Any]
    name: str = "inline"


Outcome = Wait | Continue | Stop | HardStop | Attempt | Branch | BranchWith | ContinueWith


def describe(outcome: Outcome) -> str:
    """A short text for the call trace (``continue:_``, ``branch:<id>``...)."""
    match outcome:
        case Wait():
            return "wait"
        case Continue(key=key):
            return f"continue:{key}"
        case Attempt(key=key):
            return f"attempt:{key}"
        case Branch(callflow_id=callflow_id):
            return f"branch:{callflow_id}"
        case BranchWith(name=name):
            return f"branch_with:{name}"
        case ContinueWith(name=name):
            return f"continue_with:{name}"
        case Stop(cause=cause):
            return f"stop:{cause}" if cause else "stop"
        case HardStop(cause=cause):
            return f"hard_stop:{cause}" if cause else "hard_stop"
    raise TypeError(f"not an outcome: {outcome!r}")
