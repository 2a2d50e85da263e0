"""A private, real Apache CouchDB for tests, from a CouchDB release on this machine.

The release is the folder holding ``start.sh`` and ``release/`` (``../shared/couchdb``
beside the checkout; README there). :func:`couchdb_dist` finds it; :class:`PrivateCouchDB`
runs one single-node server on a free port of 127.0.0.1 with a working folder of its own,
and stops it afterwards:

>>> dist = couchdb_dist(repo_root)
>>> with PrivateCouchDB(dist, tmp_path / "couchdb") as couch:
...     store = CouchDocumentStore(couch.admin_url)
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType

import requests

from kazoo_tasks.testing.services import free_port

DIST_ENV = "KAZOO_TEST_COUCHDB_DIST"
"""Environment variable naming the CouchDB release folder (overrides the search)."""
SHARED_DIST = Path("/work/shared/couchdb")
"""Where the machines of this project keep the release when no checkout sits beside it."""
ADMIN_USER = "admin"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0


def couchdb_dist(repo_root: Path) -> Path | None:
    """The CouchDB release folder: ``$KAZOO_TEST_COUCHDB_DIST``, else ``shared/couchdb``
    beside the checkout, else :data:`SHARED_DIST`; None when there is none, or when the
    variable says ``none`` (to run without it on a machine that has it).

    A folder named by the environment variable must hold ``start.sh`` (a typo is an
    error, not a silent fallback)."""
    named = os.environ.get(DIST_ENV)
    if named == "none":
        return None
    if named:
        folder = Path(named)
        if not (folder / "start.sh").is_file():
            raise RuntimeError(f"{DIST_ENV}={named} holds no start.sh")
        return folder
    for folder in (repo_root.parent / "shared" / "couchdb", SHARED_DIST):
        if (folder / "start.sh").is_file():
            return folder
    return None


class PrivateCouchDB:
    """One single-node CouchDB (``start.sh WORKDIR PORT PASSWORD``), started and stopped
    by this object. Its processes run in a session of their own, so :meth:`stop` and
    :meth:`kill` reach the Erlang VM and its JavaScript helpers, and nothing else."""

    def __init__(
        self, dist: Path, workdir: Path, *, port: int = 0, password: str = "test-secret"
    ) -> None:
        self.dist = dist
        self.workdir = workdir
        self.port = port or free_port()
        self.password = password
        self.pid: int | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no credentials)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def admin_url(self) -> str:
        """The base URL with the admin's credentials."""
        return f"http://{ADMIN_USER}:{self.password}@127.0.0.1:{self.port}"

    def version(self) -> str:
        """The version the running server reports (``GET /``)."""
        return str(requests.get(self.base_url, timeout=10).json()["version"])

    def start(self) -> PrivateCouchDB:
        """Run ``start.sh`` (copies the release, writes its settings, waits until the
        server answers and creates the system databases)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [str(self.dist / "start.sh"), str(self.workdir), str(self.port), self.password],
            capture_output=True,
            start_new_session=True,
            timeout=START_TIMEOUT,
            check=False,
        )
        pid_file = self.workdir / "couchdb.pid"
        if pid_file.exists():
            self.pid = int(pid_file.read_text().strip())
        if result.returncode != 0:
            self.stop()
            raise RuntimeError(f"CouchDB did not start: {result.stderr.decode(errors='replace')}")
        return self

    def _running(self) -> bool:
        """Whether the Erlang VM still runs (a zombie awaiting its reaper counts as gone)."""
        if self.pid is None:
            return False
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except FileNotFoundError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] != "Z"

    def _signal_group(self, signum: int) -> None:
        if self.pid is None:
            return
        try:
            os.killpg(os.getpgid(self.pid), signum)
        except ProcessLookupError:
            pass

    def _wait_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._running():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def kill(self) -> None:
        """SIGKILL the server (nothing flushed, no shutdown)."""
        self._signal_group(signal.SIGKILL)
        self._wait_gone(STOP_TIMEOUT)
        self.pid = None

    def stop(self) -> None:
        """Stop the server: SIGTERM, SIGKILL if it lingers."""
        if not self._running():
            self.pid = None
            return
        self._signal_group(signal.SIGTERM)
        if not self._wait_gone(STOP_TIMEOUT):
            self.kill()
        self.pid = None

    def __enter__(self) -> PrivateCouchDB:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
