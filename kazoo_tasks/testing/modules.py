"""Registering callflow modules from a test the way an installed distribution does.

An installed distribution announces its modules in ``<name>.dist-info/entry_points.txt``
under :data:`callflow.module.ENTRY_POINT_GROUP`. :func:`registered_modules` writes such a
directory (and, if given, the modules' source files), puts it on ``sys.path`` and
refreshes the engine's registry, so the API's validation and the engine find the modules
exactly as they would find a ``pip install``-ed package. Worker processes started by the
test find them too when the directory is on their ``PYTHONPATH`` (``Stack(python_path=)``).
A package that is installed already needs none of this.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from callflow import registry
from callflow.module import ENTRY_POINT_GROUP


def write_distribution(
    directory: Path,
    name: str,
    entry_points: Mapping[str, str],
    sources: Mapping[str, str] | None = None,
) -> Path:
    """Write distribution ``name`` into ``directory``: ``<module>.py`` for each of
    ``sources`` (module name to source) and a dist-info whose entry points register
    ``entry_points`` (module name in callflows to ``"package.module:Class"``)."""
    directory.mkdir(parents=True, exist_ok=True)
    for module, source in (sources or {}).items():
        (directory / f"{module}.py").write_text(source)
    dist_info = directory / f"{name}-1.0.dist-info"
    dist_info.mkdir(exist_ok=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = [f"[{ENTRY_POINT_GROUP}]"] + [f"{n} = {target}" for n, target in entry_points.items()]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return directory


@contextmanager
def registered_modules(
    directory: Path,
    entry_points: Mapping[str, str],
    sources: Mapping[str, str] | None = None,
    name: str = "kazoo_test_modules",
) -> Iterator[Path]:
    """Register ``entry_points`` (see :func:`write_distribution`) in this process for the
    duration of the block; yields the directory to give worker processes. The registry
    forgets them (and the source modules are unloaded) afterwards."""
    write_distribution(directory, name, entry_points, sources)
    sys.path.insert(0, str(directory))
    registry.refresh()
    try:
        yield directory
    finally:
        sys.path.remove(str(directory))
        for module in sources or {}:
            sys.modules.pop(module, None)
        registry.refresh()
