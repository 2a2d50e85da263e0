"""Real Celery worker processes (``kazoo-tasks worker``) for tests where processes die."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from kombu import Connection

from kazoo_tasks.bus import celery_queue_name
from kazoo_tasks.config import Settings

CLI = [str(Path(sys.executable).parent / "kazoo-tasks")]


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The KAZOO_* environment that makes a worker process use ``settings``."""
    env = dict(os.environ)
    env.update(
        KAZOO_NAMESPACE=settings.namespace,
        KAZOO_DATA_DIR=str(settings.data_dir),
        KAZOO_BROKER_URL=settings.broker_url or "",
        KAZOO_REDIS_URL=settings.redis_url or "",
        KAZOO_RESULT_BACKEND=settings.result_backend or "",
        KAZOO_HANGUP_GRACE=str(settings.hangup_grace),
        KAZOO_CALL_LOCK_TTL=str(settings.call_lock_ttl),
        KAZOO_FREESWITCH_NODES=",".join(
            f"esl://:{n.password}@{n.host}:{n.port}/{n.name}" for n in settings.freeswitch_nodes
        ),
        KAZOO_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


class WorkerProcess:
    """One ``kazoo-tasks worker`` (a prefork parent and its children) in its own session."""

    def __init__(self, settings: Settings, concurrency: int, log_path: Path) -> None:
        self.settings = settings
        self.concurrency = concurrency
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [*CLI, "worker", "-c", str(self.concurrency), "--", "--without-heartbeat"],
            env=worker_env(self.settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def children(self) -> list[int]:
        """Pids of the pool's child processes."""
        if self.proc is None:
            return []
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except FileNotFoundError:
            return []

    def kill_a_child(self, rng: random.Random) -> int | None:
        """SIGKILL one pool child (the parent forks a new one); returns its pid."""
        children = self.children()
        if not children:
            return None
        pid = rng.choice(children)
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self) -> None:
        """SIGKILL the whole worker (parent and children)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """Stop the worker (warm shutdown, then SIGKILL if it lingers)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def drop_worker_exchanges(settings: Settings) -> None:
    """Delete the remote-control and event exchanges worker processes declared."""
    ns = settings.namespace
    with Connection(settings.broker_url) as conn:
        for name in (f"{ns}.celeryev", f"{ns}.control.pidbox", f"reply.{ns}.control.pidbox"):
            conn.default_channel.exchange_delete(name)


def wait_for_consumers(settings: Settings, count: int, timeout: float = 60.0) -> None:
    """Wait until ``count`` consumers listen on the callflow queue."""
    name = celery_queue_name(settings.namespace, "callflow")
    deadline = time.monotonic() + timeout
    with Connection(settings.broker_url) as conn:
        while time.monotonic() < deadline:
            try:
                _, _, consumers = conn.default_channel.queue_declare(name, passive=True)
            except Exception:
                conn.close()
                conn.connect()
                consumers = 0
            if consumers >= count:
                return
            time.sleep(0.2)
    raise AssertionError(f"{count} workers did not start consuming {name} in {timeout}s")
