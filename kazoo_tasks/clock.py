"""Kazoo's time unit: gregorian seconds (whole seconds since 0000-01-01 UTC), used by every
stored document's ``pvt_created`` / ``pvt_modified`` and by CDR timestamps, whichever
process writes them (the API, the call engine). Unix time is for Redis and the engine's
own bookkeeping; convert at the document boundary with :func:`to_gregorian`."""

from __future__ import annotations

import time

UNIX_EPOCH_IN_GREGORIAN_SECONDS = 62_167_219_200


def to_gregorian(unix_seconds: float) -> int:
    """A Unix time (seconds, maybe fractional) in gregorian seconds."""
    return int(unix_seconds) + UNIX_EPOCH_IN_GREGORIAN_SECONDS


def now_gregorian() -> int:
    """The current time in gregorian seconds."""
    return to_gregorian(time.time())
