"""Role processes (``kazoo-tasks <role>``) started with given settings, in their own
session so that one signal reaches a worker's whole process tree."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from kombu import Connection

from kazoo_tasks.bus import celery_queue_name
from kazoo_tasks.config import Settings
from kazoo_tasks.services import broker_url
from kazoo_tasks.testing.netns import netns_command

SIGTERM_EXIT_CODE = 128 + signal.SIGTERM
"""What a tool stopped by SIGTERM exits with (the shell's convention)."""


def exit_cleanly_on_sigterm() -> None:
    """Make SIGTERM raise :class:`SystemExit` in this (main) thread, so that a tool which
    started role processes (``kazoo-tasks bench``, ``chaos``) runs its ``finally`` blocks
    and stops them: they run in sessions of their own, so no signal sent to the tool
    reaches them, and Python's default SIGTERM ends the tool at once, leaving them
    running. Ctrl-C already raises (``KeyboardInterrupt``)."""

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(SIGTERM_EXIT_CODE)

    signal.signal(signal.SIGTERM, _exit)


def role_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """This process's environment with every ``KAZOO_*`` variable taken from ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAZOO_")}
    env.update(settings.to_env(), PYTHONUNBUFFERED="1", **overrides)
    return env


class RoleProcess:
    """One ``kazoo-tasks`` subprocess (ecallmgr, worker, api, ...) and its log file; with
    ``netns``, run in that network namespace (kazoo_tasks.testing.netns)."""

    def __init__(
        self,
        args: Sequence[str],
        settings: Settings,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        *,
        netns: str | None = None,
    ) -> None:
        self.args = list(args)
        self.netns = netns
        self.settings = settings
        self.log_path = log_path
        self.env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RoleProcess:
        """Start the process (its output goes to the log file)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                # -P: import kazoo_tasks from where this process does, never from the
                # working directory (another checkout there would run other code)
                netns_command(self.netns, [sys.executable, "-P", "-m", "kazoo_tasks", *self.args]),
                env=role_env(self.settings, **self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        """Pid of the process (its session and process group have the same id)."""
        assert self.proc is not None, "not started"
        return self.proc.pid

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.proc is not None and self.proc.poll() is None

    def children(self) -> list[int]:
        """Pids of the process's direct children (a prefork worker's pool)."""
        if not self.alive():
            return []
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except FileNotFoundError:
            return []

    def log(self) -> str:
        """What the process printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the process and everything it started: no chance to clean up."""
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)

    def terminate(self) -> None:
        """SIGTERM the process group (a clean stop) without waiting for it."""
        if self.alive():
            os.killpg(self.pid, signal.SIGTERM)

    def wait_stopped(self, timeout: float = 15.0) -> int | None:
        """Wait for the process to end, SIGKILL it if it lingers; returns the exit code."""
        if self.proc is not None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode if self.proc is not None else None

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM the process group, SIGKILL it if it lingers; returns the exit code."""
        self.terminate()
        return self.wait_stopped(timeout)


def wait_for_workers(settings: Settings, count: int, timeout: float = 60.0) -> None:
    """Wait until ``count`` Celery workers of ``settings``' namespace answer a remote-control
    ping: works on every broker (the embedded Redis transport reports no consumer counts).

    The probe opens its own connection rather than borrowing from kombu's process-wide
    pool: a child forked with :mod:`multiprocessing` closes the pooled connections it
    inherits (kombu's after-fork reset), which leaves the parent's pooled ones dead."""
    from kazoo_tasks.celery_app import make_app

    app = make_app(settings, name="readiness")
    deadline = time.monotonic() + timeout
    try:
        with app.connection_for_write() as conn:
            while time.monotonic() < deadline:
                if len(app.control.ping(timeout=0.5, connection=conn, limit=count)) >= count:
                    return
    finally:
        app.close()
    raise TimeoutError(f"{count} workers did not answer a ping within {timeout}s")


def wait_for_consumers(
    settings: Settings, count: int, role: str = "callflow", timeout: float = 60.0
) -> None:
    """Wait until ``count`` consumers listen on the Celery queue of ``role``."""
    name = celery_queue_name(settings.namespace, role)
    deadline = time.monotonic() + timeout
    with Connection(broker_url(settings)) as conn:
        while time.monotonic() < deadline:
            try:
                _, _, consumers = conn.default_channel.queue_declare(name, passive=True)
            except conn.channel_errors:  # the queue is not declared yet
                conn.close()
                conn.connect()
                consumers = 0
            if consumers >= count:
                return
            time.sleep(0.2)
    raise TimeoutError(f"{count} consumers did not start on {name} within {timeout}s")
