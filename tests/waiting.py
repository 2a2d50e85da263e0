"""Polling for something another process or thread makes true, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_INTERVAL = 0.05
"""Seconds between two looks at the predicate."""


def wait_for(predicate: Callable[[], T], timeout: float = 15.0, what: str = "") -> T:
    """Poll ``predicate`` until it returns something truthy and return that; raise
    ``AssertionError`` naming ``what`` (or the predicate) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(POLL_INTERVAL)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
