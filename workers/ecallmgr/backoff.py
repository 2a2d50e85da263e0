"""Exponential back-off with jitter, for every reconnect loop of ecallmgr."""

from __future__ import annotations

import random


class Backoff:
    """Delays that double from ``base`` up to ``cap``, each drawn in ``[d/2, d]``.

    Half of each delay is fixed so the growth is visible (an operator reading the log
    sees 0.2 s, 0.4 s, 0.8 s...), the other half random so many ecallmgr processes that
    lost the same switch do not reconnect in lock step.
    """

    def __init__(self, base: float = 0.2, cap: float = 10.0, factor: float = 2.0):
        if base <= 0 or cap < base or factor < 1:
            raise ValueError("need 0 < base <= cap and factor >= 1")
        self.base, self.cap, self.factor = base, cap, factor
        self.attempts = 0

    def next_delay(self) -> float:
        """The delay to wait before the next attempt (and count the attempt)."""
        ceiling = min(self.cap, self.base * self.factor ** min(self.attempts, 64))
        self.attempts += 1
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def reset(self) -> None:
        """Start again from ``base`` (after a success)."""
        self.attempts = 0
