"""A burst of real events: the recorded call replayed for many channels, interleaved.

Each call is the recorded SIP call (43 events, of which 6 are needed once it parks); one
call in ``uncontrolled_every`` has its CHANNEL_PARK removed, as if another platform
controlled it, so none of its events may be published. Calls run in waves of
``concurrency``, their events interleaved the way a switch interleaves channels.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.ecallmgr.transcripts import CALL, CALL_AFTER_PARK, call_events, park_index

EVENTS_PER_CALL = len(CALL.events())


@dataclass
class Burst:
    """The plan of a burst: which calls, how many events, what must be published."""

    events: int
    concurrency: int = 50
    uncontrolled_every: int = 4
    calls: list[str] = field(init=False)
    uncontrolled: set[str] = field(init=False)

    def __post_init__(self) -> None:
        count = math.ceil(self.events / EVENTS_PER_CALL)
        while count * EVENTS_PER_CALL - math.ceil(count / self.uncontrolled_every) < self.events:
            count += 1
        self.calls = [str(uuid.UUID(int=i + 1, version=4)) for i in range(count)]
        self.uncontrolled = set(self.calls[:: self.uncontrolled_every])

    @property
    def controlled(self) -> list[str]:
        """Calls that park, in burst order."""
        return [c for c in self.calls if c not in self.uncontrolled]

    @property
    def total(self) -> int:
        """Events in the burst."""
        return len(self.calls) * EVENTS_PER_CALL - len(self.uncontrolled)

    @property
    def needed(self) -> int:
        """How many events the pipeline must receive."""
        return len(self.controlled) * len(CALL_AFTER_PARK)

    def call_events(self, call_id: str) -> list[bytes]:
        """One call's frames (without its park if it is uncontrolled)."""
        events = call_events(call_id)
        if call_id in self.uncontrolled:
            del events[park_index(events)]
        return events

    def chunks(self) -> Iterator[bytes]:
        """The burst's bytes, one interleaved row of a wave per chunk."""
        for start in range(0, len(self.calls), self.concurrency):
            wave = [self.call_events(c) for c in self.calls[start : start + self.concurrency]]
            for row in range(max(len(w) for w in wave)):
                yield b"".join(w[row] for w in wave if row < len(w))
