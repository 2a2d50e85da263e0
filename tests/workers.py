"""Real Celery worker processes (``kazoo-tasks worker``) for tests where processes die."""

from __future__ import annotations

import os
import random
import signal
from pathlib import Path

from kazoo_tasks.config import Settings
from kazoo_tasks.testing import RoleProcess, wait_for_consumers
from kazoo_tasks.testing.stack import drop_worker_exchanges

__all__ = ["WorkerProcess", "drop_worker_exchanges", "wait_for_consumers"]


class WorkerProcess(RoleProcess):
    """One ``kazoo-tasks worker`` (a prefork parent and its children) in its own session."""

    def __init__(self, settings: Settings, concurrency: int, log_path: Path) -> None:
        args = ["worker", "-c", str(concurrency), "--", "--without-heartbeat"]
        super().__init__(args, settings, log_path, env={"KAZOO_LOG_LEVEL": "WARNING"})
        self.concurrency = concurrency

    def kill_a_child(self, rng: random.Random) -> int | None:
        """SIGKILL one pool child (the parent forks a new one); returns its pid."""
        children = self.children()
        if not children:
            return None
        pid = rng.choice(children)
        os.kill(pid, signal.SIGKILL)
        return pid
