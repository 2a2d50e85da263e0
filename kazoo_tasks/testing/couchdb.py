"""A private, real Apache CouchDB for tests, from a CouchDB release on this machine.

The release is the folder holding ``start.sh`` and ``release/`` (``../shared/couchdb``
beside the checkout; README there). :func:`couchdb_dist` finds it; :class:`PrivateCouchDB`
runs one single-node server on a free port of 127.0.0.1 with a working folder of its own,
and stops it afterwards; :class:`PrivateCouchCluster` runs several nodes joined into one
cluster (n=3), each of which can be SIGKILLed and started again on its data:

>>> dist = couchdb_dist(repo_root)
>>> with PrivateCouchDB(dist, tmp_path / "couchdb") as couch:
...     store = CouchDocumentStore(couch.admin_url)
>>> with PrivateCouchCluster(dist, tmp_path / "cluster") as cluster:
...     store = CouchDocumentStore(cluster.url)  # the three nodes, comma-separated
...     cluster.nodes[0].kill()
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import time
import uuid
from pathlib import Path

import requests

from kazoo_tasks.testing.lifecycle import Started
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


class PrivateCouchDB(Started):
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
            raise RuntimeError(
                f"CouchDB did not start on port {self.port}: "
                f"{result.stderr.decode(errors='replace')}{self._log_tail()}"
            )
        return self

    def _log_tail(self) -> str:
        """The end of the server's own output and log, for an error message."""
        tails = []
        for name in ("couchdb.out", "couchdb.log"):
            path = self.workdir / name
            if path.exists():
                tails.append(f"\n--- {path}:\n{path.read_text(errors='replace')[-1500:]}")
        return "".join(tails)

    def _running(self) -> bool:
        """Whether the Erlang VM still runs (a zombie awaiting its reaper counts as gone)."""
        if self.pid is None:
            return False
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text()
        except FileNotFoundError:
            return False
        return fields.rsplit(")", 1)[1].split()[0] != "Z"

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
        self._gone()

    def stop(self) -> None:
        """Stop the server: SIGTERM, SIGKILL if it lingers."""
        if not self._running():
            self._gone()
            return
        self._signal_group(signal.SIGTERM)
        if not self._wait_gone(STOP_TIMEOUT):
            self.kill()
        self._gone()

    def _gone(self) -> None:
        self.pid = None


class ClusterNode(PrivateCouchDB):
    """One node of a :class:`PrivateCouchCluster`: the release copied into ``workdir``,
    configured for a cluster (``single_node = false``; the cluster's Erlang cookie, which
    also serves as its uuid and cookie-auth secret; node ``couchdb<port>@127.0.0.1``),
    run in the foreground of a session of its own. After :meth:`kill` or :meth:`stop`,
    :meth:`start` runs it again on the same data."""

    def __init__(self, dist: Path, workdir: Path, *, cookie: str, password: str) -> None:
        super().__init__(dist, workdir, password=password)
        self.cookie = cookie
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        """The Erlang node name (``couchdb<port>@127.0.0.1``)."""
        return f"couchdb{self.port}@127.0.0.1"

    def _install(self) -> None:
        """Copy the release and write this node's settings (first start only)."""
        home = self.workdir / "couchdb"
        shutil.copytree(self.dist / "release", home, symlinks=True)
        for path in home.rglob("*"):
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
        (self.workdir / "data").mkdir()
        (home / "etc" / "local.d" / "10-local.ini").write_text(
            "[couchdb]\n"
            f"uuid = {self.cookie}\n"
            "single_node = false\n"
            "js_engine = quickjs\n"
            f"database_dir = {self.workdir / 'data'}\n"
            f"view_index_dir = {self.workdir / 'data'}\n"
            "[chttpd]\n"
            "bind_address = 127.0.0.1\n"
            f"port = {self.port}\n"
            "[chttpd_auth]\n"
            f"secret = {self.cookie}\n"
            "[admins]\n"
            f"{ADMIN_USER} = {self.password}\n"
            "[log]\n"
            "writer = file\n"
            f"file = {self.workdir / 'couchdb.log'}\n"
            "level = warning\n"
        )
        vm_args = home / "etc" / "vm.args"
        lines = [
            f"-name {self.name}" if line.startswith("-name ") else line
            for line in vm_args.read_text().splitlines()
        ]
        vm_args.write_text("\n".join([*lines, f"-setcookie {self.cookie}", ""]))

    def start(self) -> ClusterNode:
        """Run the node (installing it the first time) and wait until it answers."""
        if not (self.workdir / "couchdb").exists():
            self.workdir.mkdir(parents=True, exist_ok=True)
            self._install()
        with (self.workdir / "couchdb.out").open("ab") as out:
            self._process = subprocess.Popen(
                [str(self.workdir / "couchdb" / "bin" / "couchdb")],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self._process.pid
        deadline = time.monotonic() + START_TIMEOUT
        while not self.answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"CouchDB node {self.name} did not start: see {self.workdir}")
            time.sleep(0.1)
        return self

    def answers(self) -> bool:
        """Whether the node's HTTP interface answers."""
        try:
            return requests.get(self.base_url, timeout=2).ok
        except requests.RequestException:
            return False

    def _gone(self) -> None:
        if self._process is not None:
            self._process.wait(STOP_TIMEOUT)  # reap it
            self._process = None
        super()._gone()


class PrivateCouchCluster(Started):
    """``size`` CouchDB nodes on 127.0.0.1 joined with ``/_cluster_setup`` as the CouchDB
    documentation describes (``enable_cluster`` on each, ``add_node``, ``finish_cluster``):
    every database has ``n = min(size, 3)`` copies of each shard, one per node.

    CouchDB refuses to set a cluster up on the address ``127.0.0.1`` (it expects nodes on
    a network); ``127.1`` is the same loopback address written short, so the nodes still
    listen on loopback only."""

    BIND_ADDRESS = "127.1"

    def __init__(
        self, dist: Path, workdir: Path, *, size: int = 3, password: str = "test-secret"
    ) -> None:
        cookie = uuid.uuid4().hex
        self.password = password
        self.nodes = [
            ClusterNode(dist, workdir / f"node{index + 1}", cookie=cookie, password=password)
            for index in range(size)
        ]

    @property
    def url(self) -> str:
        """Every node's admin URL, comma-separated (what ``KAZOO_COUCHDB_URL`` takes)."""
        return ",".join(node.admin_url for node in self.nodes)

    def start(self) -> PrivateCouchCluster:
        """Start every node, join them, and wait until each sees all the others."""
        try:
            for node in self.nodes:
                node.start()
            self._join()
        except BaseException:
            self.stop()
            raise
        return self

    def _setup(self, body: dict[str, object]) -> None:
        """One ``/_cluster_setup`` action on the first node (which may be restarting its
        HTTP listener after ``enable_cluster``: connection errors are retried)."""
        first = self.nodes[0]
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                answer = requests.post(
                    f"{first.base_url}/_cluster_setup",
                    json=body,
                    auth=(ADMIN_USER, self.password),
                    timeout=60,
                )
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        if answer.status_code not in (200, 201):
            raise RuntimeError(
                f"/_cluster_setup {body['action']}: {answer.status_code} {answer.text}"
            )

    def _join(self) -> None:
        admin = {"username": ADMIN_USER, "password": self.password}
        count = len(self.nodes)
        first = self.nodes[0]
        self._setup(
            {"action": "enable_cluster", "bind_address": self.BIND_ADDRESS, "port": first.port,
             "node_count": count, **admin}
        )  # fmt: skip
        for node in self.nodes[1:]:
            self._setup(
                {"action": "enable_cluster", "bind_address": self.BIND_ADDRESS,
                 "port": node.port, "node_count": count, "remote_node": "127.0.0.1",
                 "remote_current_user": ADMIN_USER, "remote_current_password": self.password,
                 **admin}
            )  # fmt: skip
            self._setup(
                {"action": "add_node", "host": "127.0.0.1", "port": node.port,
                 "name": f"couchdb{node.port}", **admin}
            )  # fmt: skip
        self._setup(
            {"action": "finish_cluster",
             "ensure_dbs_exist": ["_users", "_replicator", "_global_changes"]}
        )  # fmt: skip
        self.wait_connected()

    def wait_connected(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until every running node lists every node as a member and connected."""
        names = sorted(node.name for node in self.nodes)
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            while True:
                try:
                    membership = requests.get(
                        f"{node.base_url}/_membership",
                        auth=(ADMIN_USER, self.password),
                        timeout=5,
                    ).json()
                    joined = sorted(membership.get("cluster_nodes", [])) == names
                    if joined and sorted(membership.get("all_nodes", [])) == names:
                        break
                except (requests.RequestException, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{node.name} does not see the whole cluster")
                time.sleep(0.2)

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()
