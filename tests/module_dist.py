"""Installing callflow modules from a test the way a third-party distribution does: the
module's source and a ``*.dist-info`` directory with its entry points on ``sys.path``,
then the registry refreshed (and again once they are removed)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from callflow import registry
from callflow.module import ENTRY_POINT_GROUP


@contextmanager
def installed_modules(
    directory: Path, module: str, source: str, entry_points: dict[str, str]
) -> Iterator[None]:
    """``module.py`` holding ``source``, registered as ``{name: "module:Class"}``."""
    (directory / f"{module}.py").write_text(source)
    dist_info = directory / f"{module}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    lines = [f"[{ENTRY_POINT_GROUP}]"] + [f"{n} = {target}" for n, target in entry_points.items()]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    sys.path.insert(0, str(directory))
    registry.refresh()
    try:
        yield
    finally:
        sys.path.remove(str(directory))
        sys.modules.pop(module, None)
        registry.refresh()
