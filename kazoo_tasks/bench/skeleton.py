"""What every benchmark-like run (``bench``, ``bench acdc``, ``chaos``) shares: its own
folder and namespace removed at the end, calls placed from the emulator and watched until
they hang up (with a progress bar on a terminal), one JSON line as the result."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kazoo_tasks.config import Settings
from kazoo_tasks.embedded.redis_server import stop_redis
from kazoo_tasks.esl.emulator import Call
from kazoo_tasks.progress import progress_bar, say
from kazoo_tasks.testing import Stack, drop_namespace

POLL = 0.05


@dataclass(frozen=True)
class StackOptions:
    """The options every run has (each command's ``--help`` describes them)."""

    workers: int = 1
    worker_concurrency: int = 2
    time_scale: float = 0.05
    drain_timeout: float = 60.0
    keep: bool = False


class Scratch:
    """A run's own folder (data, logs) and namespace; :meth:`close` removes both (the
    folder stays with ``keep``) and stops the run's embedded Redis if it started one.
    A run with servers of its own in the folder calls :meth:`drop_namespace`, stops them,
    then :meth:`remove`."""

    def __init__(self, label: str, namespace_prefix: str, keep: bool) -> None:
        self.label = label
        self.dir = Path(tempfile.mkdtemp(prefix=f"kazoo-{label.replace(' ', '-')}-"))
        self.namespace = f"{namespace_prefix}{uuid.uuid4().hex[:10]}"
        self.keep = keep
        self._settings: Settings | None = None

    def settings(self, base: Settings, **overrides: Any) -> Settings:
        """``base`` in this run's namespace (data in the run's folder unless overridden)."""
        self._settings = base.with_overrides(
            **{"namespace": self.namespace, "data_dir": self.dir, **overrides}
        )
        return self._settings

    def drop_namespace(self) -> None:
        """Delete what the run left in Redis and the broker."""
        if self._settings is not None:
            drop_namespace(self._settings)

    def remove(self) -> None:
        """Stop the run's embedded Redis, if any, and remove the folder (unless kept)."""
        stop_redis(self._settings.data_dir if self._settings else self.dir)
        if self.keep:
            say(f"{self.label}: kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def close(self) -> None:
        """:meth:`drop_namespace`, then :meth:`remove`."""
        try:
            self.drop_namespace()
        finally:
            self.remove()


def ended(calls: list[Call]) -> int:
    """How many of ``calls`` hung up."""
    return sum(1 for call in calls if call.hungup_at is not None)


def setup_seconds(calls: list[Call]) -> list[float]:
    """For each call that got a command: seconds from CHANNEL_PARK to its first command."""
    return [
        c.first_command_at - c.park_emitted_at
        for c in calls
        if c.first_command_at is not None and c.park_emitted_at is not None
    ]


def watch_calls(
    placed: list[Call], total: int, label: str, ready: Callable[[], bool], timeout: float
) -> None:
    """Wait until ``ready()`` and every call of ``placed`` (growing to ``total``) hung up,
    or ``timeout`` s after ``ready()`` first held; a bar of ended calls on a terminal."""
    deadline = None
    with progress_bar(label, total) as bar:
        while True:
            done = ended(placed)
            bar.update(done, f"{label}: {len(placed) - done} up")
            if deadline is None and ready():
                deadline = time.monotonic() + timeout
            if deadline is not None and done == len(placed):
                return
            if deadline is not None and time.monotonic() > deadline:
                say(f"{label}: {len(placed) - done} calls still up {timeout:g} s after the last")
                return
            time.sleep(POLL)


def place_and_wait(
    stack: Stack, count: int, *, rate: float, destination: str, variables: dict[str, str],
    timeout: float, label: str, concurrency: int | None = None,
) -> list[Call]:  # fmt: skip
    """Place ``count`` calls at ``rate``/s and wait until every one hung up (or
    ``timeout`` s after the last was placed)."""
    placed: list[Call] = []
    future = stack.emulator.place_calls(
        count,
        rate=rate,
        concurrency=concurrency,
        destination=destination,
        variables=variables,
        on_placed=placed.append,
    )
    watch_calls(placed, count, label, future.done, timeout)
    future.result()
    return list(placed)


def to_line(result: dict[str, Any]) -> str:
    """The result as one JSON line."""
    return json.dumps(result, separators=(", ", ": "))
