"""A Redis Cluster on this machine: three masters and three replicas (``redis-server
--cluster-enabled yes``, joined by ``redis-cli --cluster create --cluster-replicas 1``),
each with its own port (its cluster bus on port + 10000) and data folder, listening on
127.0.0.1 only, AOF on. For the cluster fault tests and for trying the pipeline on a
cluster (``kazoo-tasks cluster redis start DIR``); never touches the shared Redis.

>>> with RedisClusterNodes(tmp_path / "redis") as cluster:
...     settings = settings.with_overrides(redis_url=cluster.url)
...     victim = cluster.masters()[0]
...     victim.kill()                      # SIGKILL a master...
...     cluster.wait_promoted(victim)      # ...until its replica serves its slots

``DIR/cluster.json`` records the ports, so ``RedisClusterNodes.recorded(DIR)`` finds a
cluster started by another process (to stop it, or to start it again on its data).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Self

import redis

from kazoo_tasks.testing.lifecycle import Started
from kazoo_tasks.testing.services import PrivateRedis, free_port

SIZE = 6
REPLICAS = 1
"""Replicas per master: 6 nodes make 3 masters and 3 replicas."""
NODE_TIMEOUT_MS = 2000
"""``cluster-node-timeout``: how long a master may be unreachable before its replica takes
over (the failover window is this plus the election, about a second more)."""
STATE_FILE = "cluster.json"
CLUSTER_BUS_OFFSET = 10_000
"""A node's cluster bus listens on its port + 10000 (Redis's fixed offset)."""
READY_TIMEOUT = 60.0


class ClusterNode(PrivateRedis):
    """One node of the cluster: AOF (``appendfsync everysec``), its ``nodes.conf`` in its
    folder, and ``cluster-require-full-coverage no`` so that the slots of the other masters
    stay writable while one master's slots wait for their replica."""

    def __init__(self, workdir: Path, *, port: int, node_timeout_ms: int) -> None:
        super().__init__(workdir, appendonly=True, port=port)
        self.node_timeout_ms = node_timeout_ms

    def _arguments(self) -> list[str]:
        return [
            *super()._arguments(),
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(self.node_timeout_ms),
            "--cluster-require-full-coverage", "no",
        ]  # fmt: skip

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``, as ``redis-cli`` and ``CLUSTER NODES`` write it."""
        return f"127.0.0.1:{self.port}"

    def client(self) -> redis.Redis:
        """A plain (single-node) client of this node, for ``CLUSTER``/``INFO`` commands."""
        return redis.Redis.from_url(
            self.url, decode_responses=True, socket_connect_timeout=1, socket_timeout=2
        )

    def cluster_info(self) -> dict[str, str]:
        """``CLUSTER INFO`` of this node ({} when it does not answer)."""
        try:
            with self.client() as client:
                info = client.execute_command("CLUSTER INFO")  # parsed by redis-py
        except redis.RedisError:
            return {}
        return {name: str(value) for name, value in info.items()}

    def is_up(self) -> bool:
        """Whether this node's process runs (it may not answer yet)."""
        return self.proc is not None and self.proc.poll() is None


class RedisClusterNodes(Started):
    """``size`` :class:`ClusterNode` under ``workdir`` (``size / (replicas + 1)`` masters),
    clustered; ``ports`` are their client ports (free ones by default)."""

    def __init__(
        self,
        workdir: Path,
        *,
        size: int = SIZE,
        replicas: int = REPLICAS,
        ports: Sequence[int] = (),
        node_timeout_ms: int = NODE_TIMEOUT_MS,
    ) -> None:
        if ports and len(ports) != size:
            raise ValueError(f"{size} nodes need {size} ports, got {list(ports)}")
        if size < 3 * (replicas + 1):
            raise ValueError(f"a Redis Cluster needs 3 masters: {size} nodes, {replicas} replicas")
        self.workdir = workdir
        self.replicas = replicas
        chosen = list(ports) or _free_ports(size)
        self.nodes = [
            ClusterNode(workdir / str(port), port=port, node_timeout_ms=node_timeout_ms)
            for port in chosen
        ]

    @classmethod
    def recorded(cls, workdir: Path) -> RedisClusterNodes:
        """The cluster whose ports ``workdir/cluster.json`` records."""
        state = json.loads((workdir / STATE_FILE).read_text())
        return cls(
            workdir,
            size=len(state["ports"]),
            replicas=state["replicas"],
            ports=state["ports"],
            node_timeout_ms=state["node_timeout_ms"],
        )

    @property
    def url(self) -> str:
        """Every node, in the ``redis+cluster://host:port,host:port,...`` form that
        ``KAZOO_REDIS_URL`` takes (the client asks any node that answers for the slots)."""
        return "redis+cluster://" + ",".join(node.address for node in self.nodes)

    def start(self) -> Self:
        """Start every node (again on its data when it was clustered before), create the
        cluster unless it exists, and wait until every node says ``cluster_state:ok``."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / STATE_FILE).write_text(
            json.dumps(
                {
                    "ports": [node.port for node in self.nodes],
                    "replicas": self.replicas,
                    "node_timeout_ms": self.nodes[0].node_timeout_ms,
                    "url": self.url,
                }
            )
            + "\n"
        )
        try:
            for node in self.nodes:
                node.start()
            if self.nodes[0].cluster_info().get("cluster_known_nodes") != str(len(self.nodes)):
                self._create()
            self.wait_ok(self.nodes)
        except BaseException:
            self.stop()
            raise
        return self

    def _create(self) -> None:
        done = subprocess.run(
            [
                "redis-cli",
                "--cluster",
                "create",
                *(node.address for node in self.nodes),
                "--cluster-replicas",
                str(self.replicas),
                "--cluster-yes",
            ],  # fmt: skip
            capture_output=True,
            text=True,
            timeout=READY_TIMEOUT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed:\n{done.stdout}{done.stderr}")

    def wait_ok(self, nodes: Sequence[ClusterNode], timeout: float = READY_TIMEOUT) -> None:
        """Wait until each of ``nodes`` knows every slot served (``cluster_state:ok``) and
        sees as many masters as the cluster was made with."""
        masters = len(self.nodes) // (self.replicas + 1)

        def ready(node: ClusterNode) -> bool:
            info = node.cluster_info()
            return (
                info.get("cluster_state") == "ok"
                and info.get("cluster_slots_ok") == "16384"
                and info.get("cluster_size") == str(masters)
                and _replicating(node)
            )

        deadline = time.monotonic() + timeout
        while not all(ready(node) for node in nodes):
            if time.monotonic() > deadline:
                states = {node.address: node.cluster_info() for node in nodes}
                raise TimeoutError(f"the Redis Cluster is not ok after {timeout:g} s: {states}")
            time.sleep(0.2)

    def topology(self) -> list[dict[str, str]]:
        """``CLUSTER NODES`` as the first live node sees it: one dict per node with its
        ``address`` (``127.0.0.1:port``), ``id``, ``role`` (master/slave), ``master`` (the
        id a replica follows, else ``-``) and ``flags``."""
        for node in self.nodes:
            if not node.is_up():
                continue
            try:
                with node.client() as client:
                    nodes = client.execute_command("CLUSTER NODES")  # parsed
            except redis.RedisError:
                continue
            return [
                {
                    "id": row["node_id"],
                    "address": address.split("@", 1)[0],
                    "flags": row["flags"],
                    "role": "master" if "master" in row["flags"].split(",") else "slave",
                    "master": row["master_id"],
                }
                for address, row in nodes.items()
            ]
        raise RuntimeError("no node of the Redis Cluster answers")

    def _node(self, address: str) -> ClusterNode:
        return next(node for node in self.nodes if node.address == address)

    def masters(self) -> list[ClusterNode]:
        """The nodes that are masters now (healthy ones, by the first live node's view)."""
        rows = self.topology()
        return [
            self._node(r["address"])
            for r in rows
            if r["role"] == "master" and "fail" not in r["flags"]
        ]

    def replicas_of(self, master: ClusterNode) -> list[ClusterNode]:
        """The nodes that replicate ``master`` now."""
        rows = self.topology()
        ident = next(r["id"] for r in rows if r["address"] == master.address)
        return [self._node(r["address"]) for r in rows if r["master"] == ident]

    def wait_promoted(self, replica: ClusterNode, timeout: float = READY_TIMEOUT) -> None:
        """Wait until ``replica`` has become a master and every live node says
        ``cluster_state:ok`` again (a killed master's slots are served once more)."""
        deadline = time.monotonic() + timeout
        while not self._is_master(replica):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{replica.address} was not promoted within {timeout:g} s")
            time.sleep(0.1)
        self.wait_ok([node for node in self.nodes if node.is_up()], timeout)

    @staticmethod
    def _is_master(node: ClusterNode) -> bool:
        try:
            with node.client() as client:
                return client.execute_command("ROLE")[0] == "master"
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Stop every node: the ones this object started by signal, others (started by
        another process) with ``SHUTDOWN``."""
        for node in self.nodes:
            if node.proc is not None:
                node.stop()
                continue
            try:
                with node.client() as client:
                    client.shutdown(nosave=False)
            except redis.RedisError:
                pass  # gone already, or its connection closed by the shutdown itself


def _replicating(node: ClusterNode) -> bool:
    """Whether ``node`` is a master, or a replica whose link to its master is up (a
    replica that never synced refuses to take over when its master dies)."""
    try:
        with node.client() as client:
            role = client.execute_command("ROLE")
    except redis.RedisError:
        return False
    return role[0] == "master" or (role[0] == "slave" and role[3] == "connected")


def _free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port(also=CLUSTER_BUS_OFFSET)
        if port not in ports and port + CLUSTER_BUS_OFFSET not in ports:
            ports.append(port)
    return ports
