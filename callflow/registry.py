"""Finding callflow modules by name through the entry-point group, lazily.

Nothing is imported until a node names a module; each module class is loaded once per
process and instantiated once (modules keep no per-call data on ``self``).
"""

from __future__ import annotations

import functools
import logging
from importlib.metadata import EntryPoint, entry_points

from callflow.module import ENTRY_POINT_GROUP, CallflowModule

log = logging.getLogger(__name__)


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def module_names() -> list[str]:
    """Names of every registered module."""
    return sorted(_entry_points())


@functools.cache
def load_module(name: str) -> CallflowModule | None:
    """The module registered as ``name``, or None when there is none (or it fails to load)."""
    entry_point = _entry_points().get(name)
    if entry_point is None:
        return None
    try:
        cls = entry_point.load()
    except Exception:
        log.exception("callflow module %r (%s) failed to load", name, entry_point.value)
        return None
    if not (isinstance(cls, type) and issubclass(cls, CallflowModule)):
        log.error("callflow module %r (%s) is not a CallflowModule", name, entry_point.value)
        return None
    return cls()


def refresh() -> None:
    """Forget what was discovered (after installing modules at run time, and in tests)."""
    _entry_points.cache_clear()
    load_module.cache_clear()
