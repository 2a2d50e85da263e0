"""What a long command shows while it runs: a rich progress bar on a terminal, nothing in
CI or when its output goes to a file or a pipe; one-off status lines on stderr (stdout is
for the command's result)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)


def say(message: str) -> None:
    """One status line on stderr."""
    print(message, file=sys.stderr, flush=True)


def bar_wanted(stream: TextIO | None = None) -> bool:
    """A bar is drawn when ``stream`` (stderr by default) is a terminal and ``CI`` is not
    set (CI services set it; a log file or a pipe would only collect escape codes)."""
    stream = stream if stream is not None else sys.stderr
    return stream.isatty() and not os.environ.get("CI")


class Bar:
    """One task of a rich progress display; every method does nothing when not drawn."""

    def __init__(self, progress: Progress, total: float, description: str) -> None:
        self._progress = progress
        self._task = progress.add_task(description, total=total)

    def update(self, completed: float, description: str | None = None) -> None:
        """Move the bar to ``completed`` (and change its text when given)."""
        changes: dict[str, object] = {"completed": completed}
        if description is not None:
            changes["description"] = description
        self._progress.update(self._task, **changes)  # type: ignore[arg-type]


@contextmanager
def progress_bar(description: str, total: float) -> Iterator[Bar]:
    """A bar on stderr for the duration of the ``with`` block, when :func:`bar_wanted`."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not bar_wanted(),
        transient=False,
    )
    with progress:
        yield Bar(progress, total, description)
