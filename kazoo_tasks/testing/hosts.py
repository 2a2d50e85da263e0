"""Hosts of a multi-machine test: each one a network namespace of a
:class:`~kazoo_tasks.testing.netns.Lan` running its own FreeSWITCH (the emulator, as a
process), the ecallmgr for that switch and Celery workers, all sharing the broker and
Redis the settings name (on the LAN's ``infra`` namespace).

The test process watches each switch over Event Socket (:class:`SwitchWatch`): it places
calls with the emulator's ``emulator_call`` and records every command the switch
received (the emulator's ``emulator::command`` events) and every hangup.

>>> with Lan(["a", "b"]) as lan, Host(lan, "a", settings, tmp_path) as host:
...     call_id = host.switch.place("8100", account.variables)
...     lan.kill("a")  # the machine is gone: switch, ecallmgr, workers
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kazoo_tasks.config import FreeswitchNode, Settings
from kazoo_tasks.esl.emulator.client import EslClient, EslError
from kazoo_tasks.testing.lifecycle import Started
from kazoo_tasks.testing.netns import Lan, inside
from kazoo_tasks.testing.processes import RoleProcess

log = logging.getLogger(__name__)

EMULATOR_PORT = 8021
"""Every host's switch listens on port 8021 of the host's LAN address."""
READY_TIMEOUT = 60.0
WATCHED = ("CHANNEL_HANGUP_COMPLETE", "CUSTOM", "emulator::command")


@dataclass(frozen=True)
class Command:
    """One command a switch received for a call (``emulator::command``)."""

    kind: str
    app: str
    args: str
    event_uuid: str

    @property
    def probe(self) -> bool:
        """Whether ecallmgr sent it to learn a call's state when it took the switch over
        (``api uuid_dump``, ``set kazoo_resync=``; docs/ecallmgr.md "Re-sync"), not for
        the call's flow."""
        resync = self.event_uuid.startswith("resync-")
        return resync or (self.kind, self.app) == ("api", "uuid_dump")


@dataclass
class WatchedCall:
    """What a switch did with one call so far."""

    commands: list[Command] = field(default_factory=list)
    hangup_cause: str | None = None

    @property
    def probed(self) -> bool:
        """Whether an ecallmgr taking the switch over probed the call."""
        return any(c.probe for c in self.commands)

    def flow_commands(self) -> list[tuple[str, str, str]]:
        """The commands the call's flow sent (not ecallmgr's re-sync probes)."""
        return [(c.kind, c.app, c.args) for c in self.commands if not c.probe]


class SwitchWatch:
    """Calls placed on one switch over Event Socket, and what the switch did with them.

    Two connections made inside the switch's namespace: one places calls, the other
    receives events (read by a thread until the switch goes away)."""

    def __init__(self, netns: str | None, node: FreeswitchNode) -> None:
        with inside(netns):
            self._control = EslClient(node.host, node.port, node.password)
            self._events = EslClient(node.host, node.port, node.password)
        self._events.subscribe(*WATCHED)
        self._calls: defaultdict[str, WatchedCall] = defaultdict(WatchedCall)
        self._lock = threading.Lock()
        self.gone = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True, name="switch-watch")
        self._reader.start()

    def _read(self) -> None:
        while not self.gone.is_set():
            try:
                event = self._events.next_event(timeout=0.5)
            except (EslError, OSError):
                break
            if event is None:
                continue
            call_id = event.headers.get("Unique-ID", "")
            with self._lock:
                call = self._calls[call_id]
                if event.headers.get("Event-Subclass") == "emulator::command":
                    headers = event.headers
                    call.commands.append(
                        Command(
                            headers.get("Command-Kind", ""),
                            headers.get("Application", ""),
                            headers.get("Application-Data", ""),
                            headers.get("Event-UUID", ""),
                        )
                    )
                elif event.name == "CHANNEL_HANGUP_COMPLETE":
                    call.hangup_cause = event.headers.get("Hangup-Cause", "")
        self.gone.set()

    def place(self, destination: str, variables: dict[str, str]) -> str:
        """Place an inbound call to ``destination`` with channel ``variables``; its uuid."""
        spec = {"uuid": str(uuid.uuid4()), "destination": destination, "variables": variables}
        reply = self._control.api(f"emulator_call {json.dumps(spec)}")
        if not reply.startswith("+OK"):
            raise EslError(f"emulator_call refused: {reply.strip()}")
        return spec["uuid"]

    def call(self, call_id: str) -> WatchedCall:
        """A copy of what the switch did with ``call_id`` so far."""
        with self._lock:
            found = self._calls.get(call_id, WatchedCall())
            return WatchedCall(list(found.commands), found.hangup_cause)

    def close(self) -> None:
        """Stop reading and close both connections."""
        self.gone.set()
        for client in (self._control, self._events):
            client.close()
        self._reader.join(5)


def switch_node(lan: Lan, name: str) -> FreeswitchNode:
    """The switch of host ``name``: ``fs-<name>`` on the host's LAN address."""
    return FreeswitchNode(f"fs-{name}", lan.address(name), EMULATOR_PORT, "ClueCon")


class Host(Started):
    """One machine: its switch (``fs-<name>``, an emulator process), an ecallmgr for that
    switch and the ``also_serves`` switches of other hosts (as Kazoo's ecallmgr connects
    to the switches it is configured for; a lease decides which ecallmgr is active for
    each), ``workers`` Celery workers and, with ``beat``, the deployment's one beat."""

    def __init__(
        self,
        lan: Lan,
        name: str,
        settings: Settings,
        log_dir: Path,
        *,
        time_scale: float = 0.2,
        workers: int = 1,
        concurrency: int = 2,
        beat: bool = False,
        also_serves: Sequence[FreeswitchNode] = (),
    ) -> None:
        self.lan = lan
        self.name = name
        self.netns = lan.netns(name)
        self.node = switch_node(lan, name)
        self.nodes = (self.node, *also_serves)
        self.settings = settings.with_overrides(freeswitch_nodes=self.nodes)
        self.log_dir = log_dir
        self.time_scale = time_scale
        self.worker_count = workers
        self.concurrency = concurrency
        self.run_beat = beat
        self.processes: list[RoleProcess] = []
        self.ecallmgr: RoleProcess | None = None
        self.switch: SwitchWatch | None = None

    def _role(self, args: list[str], label: str) -> RoleProcess:
        log_path = self.log_dir / f"{self.name}-{label}.log"
        process = RoleProcess(args, self.settings, log_path, netns=self.netns).start()
        self.processes.append(process)
        return process

    def start(self) -> Host:
        """Start the switch, then ecallmgr and the workers; wait until ecallmgr has
        connected to this host's switch or stands by for it, and has taken or stands by
        for the lease of each other switch it serves (the workers:
        :func:`wait_for_workers`)."""
        try:
            emulator = self._role(
                ["emulator", "serve", "--host", self.node.host, "--port", str(self.node.port),
                 "--time-scale", str(self.time_scale), "--hostname", self.node.name],
                "emulator",
            )  # fmt: skip
            self._wait_log(emulator, "emulated FreeSWITCH listening")
            self.switch = SwitchWatch(self.netns, self.node)
            for index in range(self.worker_count):
                self._role(["worker", "-c", str(self.concurrency)], f"worker-{index}")
            if self.run_beat:
                self._role(["beat"], "beat")
            self.ecallmgr = self._role(["ecallmgr"], "ecallmgr")
            own = self.node.name
            self.wait_ecallmgr(f"node {own}: connected to", f"node {own}: standby")
            for other in (node.name for node in self.nodes[1:]):  # may not be up yet
                self.wait_ecallmgr(f"node {other}: lease acquired", f"node {other}: standby")
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ecallmgr(self, *texts: str, timeout: float = READY_TIMEOUT) -> None:
        """Wait until this host's ecallmgr has logged one of ``texts``."""
        assert self.ecallmgr is not None, "not started"
        self._wait_log(self.ecallmgr, *texts, timeout=timeout)

    @staticmethod
    def _wait_log(process: RoleProcess, *texts: str, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in process.log() for text in texts):
            if not process.alive() or time.monotonic() > deadline:
                raise TimeoutError(f"none of {texts!r} from {process.args}:\n{process.log()}")
            time.sleep(0.1)

    def kill(self) -> list[int]:
        """The machine dies whole: every process in its namespace SIGKILLed (no process
        gets to say goodbye), then its namespace and link deleted. Returns the pids."""
        killed = self.lan.kill(self.name)
        for process in self.processes:
            process.kill()  # reaps it (already dead)
        if self.switch is not None:
            self.switch.close()
        return killed

    def stop(self) -> None:
        """Stop every process of the host (SIGTERM, then SIGKILL) and the watch."""
        for process in reversed(self.processes):
            process.stop()
        if self.switch is not None:
            self.switch.close()
