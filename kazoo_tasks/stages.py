"""Per-stage timestamps of a call's setup, for ``kazoo-tasks bench --stages``.

Off unless ``KAZOO_STAGE_LOG_DIR`` names a directory. Then every process appends one line
``<call-id> <stage> <clock>`` per :func:`stamp` to ``stages-<pid>.log`` in it. The clock
is ``time.perf_counter()``, which on Linux is ``CLOCK_MONOTONIC``: one clock for every
process of the machine, the emulator's ``Call.park_emitted_at`` included, so stamps of
ecallmgr, the workers and the emulator can be subtracted from each other.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path
from typing import TextIO

from kazoo_tasks.config import get_settings

_out: tuple[int, TextIO] | None = None


def stamp(stage: str, call_id: str) -> None:
    """Record that ``call_id`` reached ``stage`` now (no-op unless stage logging is on)."""
    directory = get_settings().stage_log_dir
    if directory is None:
        return
    global _out
    pid = os.getpid()
    if _out is None or _out[0] != pid:  # first stamp of this process (or of a forked child)
        directory.mkdir(parents=True, exist_ok=True)
        _out = (pid, (directory / f"stages-{pid}.log").open("a", buffering=1))
    _out[1].write(f"{call_id} {stage} {time.perf_counter():.6f}\n")


def read_stages(directory: Path) -> dict[str, dict[str, float]]:
    """The first time each call reached each stage, from every process's log."""
    first: dict[str, dict[str, float]] = defaultdict(dict)
    for path in sorted(directory.glob("stages-*.log")):
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) != 3:
                continue  # a line cut short by a killed process
            call_id, stage, clock = parts[0], parts[1], float(parts[2])
            if clock < first[call_id].get(stage, float("inf")):
                first[call_id][stage] = clock
    return dict(first)
