"""A RabbitMQ cluster on this machine: three nodes (``kt<port>@localhost``), each with its
own AMQP port, distribution port (AMQP port + 20000) and data folder, all listening on
127.0.0.1 only and sharing one Erlang cookie; the second and third joined to the first with
``rabbitmqctl join_cluster``. For the cluster fault tests and for trying the pipeline on a
cluster (``kazoo-tasks cluster rabbitmq start DIR``); never touches the shared broker.

>>> with RabbitMQCluster(tmp_path / "rabbitmq") as cluster:
...     settings = settings.with_overrides(broker_url=cluster.url, broker_queue_type="quorum")
...     cluster.nodes[0].kill()  # SIGKILL one node; quorum queues live on in the others

``DIR/cluster.json`` records the ports, so ``RabbitMQCluster.recorded(DIR)`` finds a
cluster started by another process (to stop it, or to start it again on its data).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from pathlib import Path

from kazoo_tasks.testing.lifecycle import Started
from kazoo_tasks.testing.services import PrivateRabbitMQ, free_port

SIZE = 3
STATE_FILE = "cluster.json"
COOKIE_FILE = ".erlang.cookie"
"""In the cluster's folder, which is the ``HOME`` of its nodes and of ``rabbitmqctl``."""


class RabbitMQCluster(Started):
    """``size`` :class:`PrivateRabbitMQ` nodes under ``workdir``, clustered; ``ports`` are
    their AMQP ports (free ones by default); ``net_ticktime`` Erlang's (None: 60 s)."""

    def __init__(
        self,
        workdir: Path,
        *,
        size: int = SIZE,
        ports: Sequence[int] = (),
        net_ticktime: int | None = None,
    ) -> None:
        if ports and len(ports) != size:
            raise ValueError(f"{size} nodes need {size} ports, got {list(ports)}")
        self.workdir = workdir
        self.net_ticktime = net_ticktime
        chosen = list(ports) or _free_ports(size)
        self.nodes = [
            PrivateRabbitMQ(
                workdir / f"kt{port}", port=port, home=workdir, net_ticktime=net_ticktime
            )
            for port in chosen
        ]

    @classmethod
    def recorded(cls, workdir: Path) -> RabbitMQCluster:
        """The cluster whose ports (and ``net_ticktime``) ``workdir/cluster.json`` records."""
        state = json.loads((workdir / STATE_FILE).read_text())
        return cls(
            workdir,
            size=len(state["ports"]),
            ports=state["ports"],
            net_ticktime=state.get("net_ticktime"),
        )

    @property
    def urls(self) -> list[str]:
        """The AMQP URL of each node."""
        return [node.url for node in self.nodes]

    @property
    def url(self) -> str:
        """Every node's URL, ``;``-separated: the failover form kombu and Celery take (they
        connect to the first that answers, and to the next when it goes)."""
        return ";".join(self.urls)

    def start(self) -> RabbitMQCluster:
        """Start every node, join the others to the first, and wait until all answer."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        cookie = self.workdir / COOKIE_FILE
        if not cookie.exists():
            cookie.write_text(secrets.token_hex(20).upper())
            cookie.chmod(0o400)
        (self.workdir / STATE_FILE).write_text(
            json.dumps(
                {
                    "ports": [node.port for node in self.nodes],
                    "url": self.url,
                    "net_ticktime": self.net_ticktime,
                }
            )
            + "\n"
        )
        for node in self.nodes:
            node.launch()
        for node in self.nodes:
            node.wait_ready()
        self._join()
        return self

    def running_nodes(self) -> list[str]:
        """The names of the nodes running in the cluster, as the first node that answers
        ``rabbitmqctl`` sees them."""
        errors = []
        for node in self.nodes:
            try:
                status = json.loads(node.ctl("cluster_status", "--formatter", "json"))
            except RuntimeError as exc:
                errors.append(str(exc))
                continue
            return list(status["running_nodes"])
        raise RuntimeError("no node of the cluster answers:\n" + "\n".join(errors))

    def _join(self) -> None:
        first, *others = self.nodes
        running = set(self.running_nodes())
        for node in others:
            if node.node in running:  # started again on its data: clustered already
                continue
            node.ctl("stop_app")
            node.ctl("join_cluster", first.node)
            node.ctl("start_app")
            node.wait_ready()

    def stop(self) -> None:
        """Stop every node: the ones this object started by signal, others (started by
        another process) with ``rabbitmqctl shutdown``."""
        for node in self.nodes:
            if node.proc is not None:
                node.stop()
            else:
                node.ctl("shutdown", check=False)


def _free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port(also=20_000)
        if port not in ports:
            ports.append(port)
    return ports
