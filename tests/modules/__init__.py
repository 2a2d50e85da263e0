"""Callflow modules that exist only for tests, registered by entry point the way an
external package registers its own (:func:`kazoo_tasks.testing.registered_modules`)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""Where ``tests`` is importable from (worker processes need it on ``PYTHONPATH``)."""

ENTRY_POINTS = {
    "wait_digit": "tests.modules.wait_digit:WaitDigit",
    "probe_menu": "tests.modules.probe_menu:ProbeMenu",
    "probe_record": "tests.modules.probe_record:ProbeRecord",
    "capture_probe": "tests.modules.capture_probe:CaptureProbe",
    "store_outage": "tests.modules.store_outage:StoreOutage",
}
"""The test modules, by the name callflow nodes use."""
