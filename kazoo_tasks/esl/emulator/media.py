"""How long emulated media lasts: tone streams, silence, files, speech.

``tone_stream://`` durations follow FreeSWITCH's teletone syntax (``%(on,off,freq...)``
segments repeated ``loops=N`` / ``L=N`` times, ``-1`` forever), ``silence_stream://N`` lasts N
ms (negative: forever), ``local_stream://`` (music on hold) lasts forever, and a file lasts
what the :class:`MediaCatalog` says (a default for unknown files). Durations are in seconds
of the switch's clock, before the emulator's ``time_scale`` is applied; ``None`` is forever.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

FOREVER = None

_TONE_SEGMENT = re.compile(r"%\(([^)]*)\)")
_LOOPS = re.compile(r"(?:^|;)\s*(?:loops|L)\s*=\s*(-?\d+)")


class MediaNotFound(Exception):
    """The emulated file does not exist (FreeSWITCH answers ``FILE NOT FOUND``)."""


def tone_stream_seconds(spec: str) -> float | None:
    """Length of a ``tone_stream://`` spec (without the scheme)."""
    cycle_ms = 0
    for segment in _TONE_SEGMENT.findall(spec):
        parts = [p.strip() for p in segment.split(",")]
        try:
            on = int(float(parts[0])) if parts and parts[0] else 0
            off = int(float(parts[1])) if len(parts) > 1 and parts[1] else 0
        except ValueError:
            continue
        cycle_ms += max(on, 0) + max(off, 0)
    match = _LOOPS.search(spec)
    loops = int(match.group(1)) if match else 1
    if loops < 0:
        return FOREVER
    return cycle_ms * loops / 1000


def silence_stream_seconds(spec: str) -> float | None:
    """Length of a ``silence_stream://N[,M]`` spec (without the scheme)."""
    head = spec.split(",", 1)[0].strip()
    try:
        ms = int(head)
    except ValueError:
        return 0.0
    return FOREVER if ms < 0 else ms / 1000


@dataclass
class MediaCatalog:
    """Durations of emulated files, by exact path or glob pattern.

    ``default_file_seconds`` applies to any file not listed; a pattern mapped to ``None``
    makes matching files missing (playback ends with ``FILE NOT FOUND``).
    """

    default_file_seconds: float = 2.0
    speech_seconds_per_char: float = 0.06
    say_seconds_per_item: float = 0.6
    caller_speech_seconds: float = 3.0
    """How long an emulated caller speaks into a ``record`` before going silent."""
    files: dict[str, float | None] = field(default_factory=dict)

    def set_file(self, pattern: str, seconds: float | None) -> None:
        """Declare how long files matching ``pattern`` last (``None``: they do not exist)."""
        self.files[pattern] = seconds

    def file_seconds(self, path: str) -> float:
        """Length of one file; raises :class:`MediaNotFound` for a missing one."""
        if path in self.files:
            seconds = self.files[path]
        else:
            seconds = self.default_file_seconds
            for pattern, value in self.files.items():
                if fnmatch.fnmatchcase(path, pattern):
                    seconds = value
                    break
        if seconds is None:
            raise MediaNotFound(path)
        return seconds

    def playback_seconds(self, target: str) -> float | None:
        """Length of what ``playback`` plays; raises :class:`MediaNotFound`."""
        target = target.strip()
        if target.startswith("file_string://"):
            total = 0.0
            for part in target[len("file_string://") :].split("!"):
                length = self.playback_seconds(part)
                if length is FOREVER:
                    return FOREVER
                total += length
            return total
        if target.startswith("tone_stream://"):
            return tone_stream_seconds(target[len("tone_stream://") :])
        if target.startswith("silence_stream://"):
            return silence_stream_seconds(target[len("silence_stream://") :])
        if target.startswith("local_stream://"):
            return FOREVER
        if target.startswith(("say:", "phrase:")):
            return self.say_seconds(target.split(":", 1)[1])
        return self.file_seconds(target)

    def speech_seconds(self, text: str) -> float:
        """Length of a TTS text (``speak``)."""
        return round(len(text) * self.speech_seconds_per_char, 3)

    def say_seconds(self, text: str) -> float:
        """Length of a ``say`` (one item per digit or word of what is said)."""
        value = text.split()[-1] if text.split() else ""
        items = len(value) if value.isdigit() else max(1, len(text.split()))
        return items * self.say_seconds_per_item
