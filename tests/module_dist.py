"""Installing one callflow module from a test the way a third-party distribution does
(:func:`kazoo_tasks.testing.registered_modules` for a single source file)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kazoo_tasks.testing import registered_modules


@contextmanager
def installed_modules(
    directory: Path, module: str, source: str, entry_points: dict[str, str]
) -> Iterator[None]:
    """``module.py`` holding ``source``, registered as ``{name: "module:Class"}``."""
    with registered_modules(directory, entry_points, {module: source}, name=module):
        yield
