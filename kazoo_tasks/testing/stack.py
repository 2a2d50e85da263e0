"""The call pipeline for real, around the FreeSWITCH emulator: an in-process emulator,
an ``ecallmgr`` process connected to it, and Celery worker processes.

>>> with Stack(settings, log_dir=tmp_path) as stack:
...     call = stack.emulator.place_call("1000")
...     call.wait_hangup()

Documents (accounts, callflows) come from the document store named by ``settings`` (the
embedded store of ``settings.data_dir`` unless ``couchdb_url`` is set).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from kombu import Connection

from kazoo_tasks.config import FreeswitchNode, Settings
from kazoo_tasks.esl.emulator import Emulator
from kazoo_tasks.services import broker_url
from kazoo_tasks.testing.lifecycle import Started
from kazoo_tasks.testing.namespace import worker_exchanges
from kazoo_tasks.testing.processes import RoleProcess, wait_for_workers

NODE_NAME = "fs1"
READY_TIMEOUT = 60.0


class Stack(Started):
    """Emulator + ecallmgr + ``workers`` worker processes of ``concurrency`` children each,
    and with ``changes`` the changes process (its doc-change notifications keep the
    workers' document caches fresh, as in production). ``python_path`` directories go
    first on every process's ``PYTHONPATH`` (modules registered by a test with
    :func:`kazoo_tasks.testing.registered_modules`). With ``webhook_workers`` the
    ``webhooks`` queue gets workers of its own (a thread pool, as docs/operations.md
    advises) and the others serve only the call queues."""

    def __init__(
        self,
        settings: Settings,
        log_dir: Path,
        *,
        workers: int = 1,
        concurrency: int = 2,
        time_scale: float = 0.02,
        worker_args: tuple[str, ...] = (),
        changes: bool = False,
        python_path: Sequence[Path] = (),
        webhook_workers: int = 0,
    ) -> None:
        self.emulator = Emulator(time_scale=time_scale, hostname="fs1.kazoo-tasks.local")
        self.base_settings = settings
        self.settings = settings
        self.log_dir = log_dir
        self.worker_count = workers
        self.concurrency = concurrency
        self.worker_args = worker_args
        self.webhook_workers = webhook_workers
        self.run_changes = changes
        self.env: dict[str, str] = {}
        if python_path:
            inherited = [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []
            self.env["PYTHONPATH"] = os.pathsep.join([*map(str, python_path), *inherited])
        self.ecallmgr: RoleProcess | None = None
        self.changes: RoleProcess | None = None
        self.workers: list[RoleProcess] = []

    def start(self) -> Stack:
        """Start everything and wait until calls can flow."""
        self.emulator.start()
        node = FreeswitchNode(NODE_NAME, "127.0.0.1", self.emulator.port, "ClueCon")
        self.settings = self.base_settings.with_overrides(freeswitch_nodes=(node,))
        for index in range(self.worker_count):
            self.add_worker(index)
        for index in range(self.webhook_workers):
            args = ["worker", "--roles", "webhooks", "--pool", "threads", "-c", "8"]
            log_path = self.log_dir / f"webhooks-{index}.log"
            self.workers.append(RoleProcess(args, self.settings, log_path, self.env).start())
        self.start_ecallmgr()
        if self.run_changes:
            self.changes = RoleProcess(
                ["changes"], self.settings, self.log_dir / "changes.log", self.env
            ).start()
        self.wait_subscribed()
        wait_for_workers(
            self.settings, self.worker_count + self.webhook_workers, timeout=READY_TIMEOUT
        )
        return self

    def start_ecallmgr(self) -> RoleProcess:
        """Start an ecallmgr process (again, after a test killed the previous one)."""
        number = sum(1 for _ in self.log_dir.glob("ecallmgr*.log")) if self.log_dir.exists() else 0
        name = "ecallmgr.log" if number == 0 else f"ecallmgr-{number}.log"
        log_path = self.log_dir / name
        self.ecallmgr = RoleProcess(["ecallmgr"], self.settings, log_path, self.env).start()
        return self.ecallmgr

    def add_worker(self, index: int | None = None) -> RoleProcess:
        """Start one more worker process (e.g. to replace a killed one)."""
        number = len(self.workers) if index is None else index
        roles = ["--roles", "callflow,housekeeping"] if self.webhook_workers else []
        args = ["worker", "-c", str(self.concurrency), *roles, *self.worker_args]
        log_path = self.log_dir / f"worker-{number}.log"
        worker = RoleProcess(args, self.settings, log_path, self.env).start()
        self.workers.append(worker)
        return worker

    def wait_subscribed(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until ecallmgr has connected to the emulator and subscribed to events."""
        deadline = time.monotonic() + timeout
        while not self.emulator.switch.listeners:
            if time.monotonic() > deadline:
                log = self.ecallmgr.log() if self.ecallmgr else ""
                raise TimeoutError(f"ecallmgr did not subscribe within {timeout}s:\n{log}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop every process, then the emulator; delete the exchanges workers declared."""
        others = [p for p in (self.ecallmgr, self.changes) if p is not None]
        processes = [*self.workers, *others]
        for process in processes:  # all at once: a test's teardown waits for the slowest
            process.terminate()
        for process in processes:
            process.wait_stopped()
        self.emulator.stop()
        drop_worker_exchanges(self.settings)


def drop_worker_exchanges(settings: Settings) -> None:
    """Delete the remote-control and event exchanges that worker processes declare."""
    with Connection(broker_url(settings)) as conn:
        conn.ensure_connection(max_retries=3)  # past a node that does not answer
        for name in worker_exchanges(settings.namespace):
            conn.default_channel.exchange_delete(name)
