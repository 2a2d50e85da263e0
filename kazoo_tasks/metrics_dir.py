"""The multiprocess directory of a role's Prometheus metrics, set up before anything counts.

``prometheus_client`` decides at import time whether its values live in memory or in
files shared by a process tree (``PROMETHEUS_MULTIPROC_DIR``); a Celery prefork worker
needs the files, since its children count and its parent serves ``/metrics``. So the
role launcher (:mod:`kazoo_tasks.cli`) calls :func:`prepare` before the role's modules
are imported: every role process gets a fresh directory of its own,
``KAZOO_METRICS_DIR/<role>-<pid>``, removed again when the process exits. Directories
left by processes that died without cleaning up (``kill -9``) are removed by the next
role started on the same directory.

This module imports nothing of ``prometheus_client`` on purpose.
"""

from __future__ import annotations

import atexit
import os
import shutil
from pathlib import Path

from kazoo_tasks.config import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

METRIC_ROLES = frozenset({"ecallmgr", "worker", "changes", "api"})
"""The roles that count and serve metrics."""


def metrics_base(settings: Settings) -> Path:
    """Where the roles' metric directories go (``KAZOO_METRICS_DIR``)."""
    return settings.metrics_dir or settings.data_dir / "metrics"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_dead(base: Path) -> None:
    """Remove the directories of role processes that are gone."""
    for entry in base.iterdir():
        _, _, pid = entry.name.rpartition("-")
        if entry.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def prepare(role: str, settings: Settings) -> Path | None:
    """Give this process a fresh metrics directory if ``role`` counts metrics; returns it."""
    if role not in METRIC_ROLES:
        return None
    base = metrics_base(settings)
    base.mkdir(parents=True, exist_ok=True)
    _remove_dead(base)
    directory = base / f"{role}-{os.getpid()}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir()
    os.environ[MULTIPROC_ENV] = str(directory)
    owner = os.getpid()

    def cleanup() -> None:
        if os.getpid() == owner:  # not in a forked child that exits first
            shutil.rmtree(directory, ignore_errors=True)

    atexit.register(cleanup)
    return directory
