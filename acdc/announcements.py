"""What a caller waiting in a queue is told at an interval (Kazoo's acdc_announcements):
its position in line and the estimated wait, from the queue document's ``announcements``
(``position_announcements_enabled``, ``wait_time_announcements_enabled``, ``interval``,
``media``).

:func:`script` gives the announcement as a list of :class:`Part`: a prompt (a Kazoo
prompt name, a media id or a URL: the ``media`` keys, else Kazoo's default names) or
words for the switch's ``say``. The position is said as a number; the estimated wait
(the queue's average wait) as a time, rounded up to Kazoo's steps (1, 5, 10, 15, 30, 45,
60 minutes; "at least an hour" is said as 60 minutes and more).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MEDIA = {
    "you_are_at_position": "queue-you_are_at_position",
    "in_the_queue": "queue-in_the_queue",
    "increase_in_call_volume": "queue-increase_in_call_volume",
    "the_estimated_wait_time_is": "queue-the_estimated_wait_time_is",
}
"""Kazoo's prompts when the queue names none."""
DEFAULT_INTERVAL = 30
WAIT_STEPS = (60, 300, 600, 900, 1800, 2700, 3600)
"""Seconds the estimated wait is rounded up to (Kazoo's ``queue-about_N_minutes``)."""


@dataclass(frozen=True)
class Part:
    """One piece of an announcement: a ``prompt`` (media reference) or ``say`` words."""

    kind: str
    value: str


@dataclass(frozen=True)
class Announcements:
    """A queue's ``announcements`` settings (off unless enabled, as in Kazoo)."""

    position: bool = False
    wait_time: bool = False
    interval: int = DEFAULT_INTERVAL
    media: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_MEDIA))

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> Announcements:
        """From the document's ``announcements`` object (None: none). The interval is
        the document's as stored (Crossbar refuses less than 15 s; at least 1 s here)."""
        doc = doc or {}
        custom = {k: str(v) for k, v in (doc.get("media") or {}).items() if v}
        return cls(
            position=bool(doc.get("position_announcements_enabled")),
            wait_time=bool(doc.get("wait_time_announcements_enabled")),
            interval=max(int(doc.get("interval") or DEFAULT_INTERVAL), 1),
            media={**DEFAULT_MEDIA, **custom},
        )

    @property
    def enabled(self) -> bool:
        """Whether anything is announced."""
        return self.position or self.wait_time


def wait_step(seconds: float) -> int:
    """The estimated wait as announced: ``seconds`` rounded up to Kazoo's steps."""
    return next((step for step in WAIT_STEPS if seconds <= step), int(seconds))


def script(
    settings: Announcements, position: int | None, wait: float, last_wait: float | None
) -> list[Part]:
    """The announcement for a caller at ``position`` (1: next; None: not in line now)
    when the queue's estimated wait is ``wait`` seconds (``last_wait``: at the caller's
    previous announcement, to say the call volume rose)."""
    parts: list[Part] = []
    media = settings.media
    if settings.position and position is not None:
        parts += [
            Part("prompt", media["you_are_at_position"]),
            Part("say", f"en number pronounced {position}"),
            Part("prompt", media["in_the_queue"]),
        ]
    if settings.wait_time:
        if last_wait is not None and wait > last_wait:
            parts.append(Part("prompt", media["increase_in_call_volume"]))
        parts += [
            Part("prompt", media["the_estimated_wait_time_is"]),
            Part("say", f"en time_measurement pronounced {wait_step(wait)}"),
        ]
    return parts
