"""What a long command shows while it runs: status lines on stderr (stdout is for the
command's result)."""

from __future__ import annotations

import sys


def say(message: str) -> None:
    """One status line on stderr."""
    print(message, file=sys.stderr, flush=True)
