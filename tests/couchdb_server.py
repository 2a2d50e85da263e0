"""A real CouchDB-compatible server for tests: pouchdb-server from npm, in memory.

It runs in a fresh temporary directory (its ``config.json`` would otherwise keep admins
across restarts), on a free 127.0.0.1 port, with one admin; the admin's URL is what tests
hand to :class:`~kazoo_tasks.docstore.couch.CouchDocumentStore`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
POUCHDB_SERVER = ROOT / ".cache" / "node" / "node_modules" / ".bin" / "pouchdb-server"
ADMIN = ("admin", "test-secret")


@dataclass
class CouchServer:
    """A running pouchdb-server: its base URL (no credentials) and the admin's URL."""

    process: subprocess.Popen[bytes]
    base_url: str
    workdir: Path

    @property
    def admin_url(self) -> str:
        user, password = ADMIN
        return self.base_url.replace("http://", f"http://{user}:{password}@")

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_pouchdb_server(workdir: Path) -> CouchServer:
    """Start pouchdb-server --in-memory in ``workdir`` and create the admin."""
    if not POUCHDB_SERVER.exists():
        raise RuntimeError(f"{POUCHDB_SERVER} missing: run `bash scripts/test-prereqs.sh`")
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = (workdir / "pouchdb-server.log").open("wb")
    process = subprocess.Popen(
        [str(POUCHDB_SERVER), "--in-memory", "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = CouchServer(process, f"http://127.0.0.1:{port}", workdir)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"pouchdb-server exited: see {workdir / 'pouchdb-server.log'}")
        try:
            if requests.get(server.base_url, timeout=1).ok:
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("pouchdb-server did not start within 60 s")
        time.sleep(0.2)
    user, password = ADMIN
    requests.put(
        f"{server.base_url}/_config/admins/{user}", json=password, timeout=10
    ).raise_for_status()
    return server


def remove_workdir(server: CouchServer) -> None:
    """Delete the server's working directory (after stop)."""
    shutil.rmtree(server.workdir, ignore_errors=True)
