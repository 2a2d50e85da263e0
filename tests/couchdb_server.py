"""The CouchDB server of a test session: a real Apache CouchDB when a release is on this
machine (``../shared/couchdb``, see :func:`kazoo_tasks.testing.couchdb.couchdb_dist`),
else pouchdb-server from npm, in memory (``scripts/test-prereqs.sh`` installs it).

Either runs on a free 127.0.0.1 port in a fresh temporary directory with one admin
(:data:`ADMIN`); the admin's URL is what tests hand to
:class:`~kazoo_tasks.docstore.couch.CouchDocumentStore`.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from kazoo_tasks.testing.couchdb import PrivateCouchDB, couchdb_dist
from kazoo_tasks.testing.services import free_port
from tests.child_processes import stop as stop_process

ROOT = Path(__file__).resolve().parent.parent
POUCHDB_SERVER = ROOT / ".cache" / "node" / "node_modules" / ".bin" / "pouchdb-server"
ADMIN = ("admin", "test-secret")
START_ATTEMPTS = 3


@dataclass
class CouchServer:
    """A running test server: what it is, its base URL (no credentials), its folder."""

    name: str
    base_url: str
    workdir: Path
    _stop: Callable[[], None]

    @property
    def admin_url(self) -> str:
        user, password = ADMIN
        return self.base_url.replace("http://", f"http://{user}:{password}@")

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        self._stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_test_couch(workdir: Path) -> CouchServer:
    """The real CouchDB if its release is here, else pouchdb-server."""
    dist = couchdb_dist(ROOT)
    if dist is None:
        return start_pouchdb_server(workdir)
    for attempt in range(START_ATTEMPTS):  # a free port picked may be taken before use
        try:
            couch = PrivateCouchDB(dist, workdir / f"try{attempt}", password=ADMIN[1]).start()
            break
        except RuntimeError as exc:
            if attempt == START_ATTEMPTS - 1:
                raise
            warnings.warn(f"CouchDB start failed, trying another port: {exc}", stacklevel=1)
    name = f"Apache CouchDB {couch.version()} (single node, {dist})"
    return CouchServer(name, couch.base_url, workdir, couch.stop)


def start_pouchdb_server(workdir: Path) -> CouchServer:
    """Start pouchdb-server --in-memory in ``workdir`` and create the admin (its
    ``config.json`` would otherwise keep admins across restarts, hence a fresh folder)."""
    if not POUCHDB_SERVER.exists():
        raise RuntimeError(f"{POUCHDB_SERVER} missing: run `bash scripts/test-prereqs.sh`")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (workdir / "pouchdb-server.log").open("wb")
    process = subprocess.Popen(
        [str(POUCHDB_SERVER), "--in-memory", "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        stop_process(process)
        log.close()

    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"pouchdb-server exited: see {workdir / 'pouchdb-server.log'}")
        try:
            answer = requests.get(base_url, timeout=1)
            if answer.ok:
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            stop()
            raise RuntimeError("pouchdb-server did not start within 60 s")
        time.sleep(0.2)
    user, password = ADMIN
    requests.put(f"{base_url}/_config/admins/{user}", json=password, timeout=10).raise_for_status()
    name = f"pouchdb-server {answer.json().get('version', '?')} (CouchDB API emulation)"
    return CouchServer(name, base_url, workdir, stop)
