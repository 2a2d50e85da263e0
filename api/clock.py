"""Kazoo's time unit: gregorian seconds (seconds since year 0), used in ``pvt_created``."""

from __future__ import annotations

import time

UNIX_EPOCH_IN_GREGORIAN_SECONDS = 62_167_219_200


def now_gregorian() -> int:
    """The current time in gregorian seconds."""
    return int(time.time()) + UNIX_EPOCH_IN_GREGORIAN_SECONDS
