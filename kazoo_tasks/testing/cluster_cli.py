"""``kazoo-tasks cluster``: service clusters on this machine, to try and test scale-out."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kazoo_tasks.testing.rabbitmq_cluster import SIZE, RabbitMQCluster
from kazoo_tasks.testing.redis_cluster import SIZE as REDIS_SIZE
from kazoo_tasks.testing.redis_cluster import RedisClusterNodes

DIRECTORY = click.argument("directory", type=click.Path(file_okay=False, path_type=Path))


@click.group()
def command() -> None:
    """Start and stop local service clusters (docs/operations.md, "The data services in
    clusters")."""


@command.group()
def rabbitmq() -> None:
    """A RabbitMQ cluster of nodes on 127.0.0.1, data and logs in DIRECTORY."""


@rabbitmq.command()
@DIRECTORY
@click.option("--size", default=SIZE, show_default=True, help="Number of nodes.")
@click.option(
    "--port",
    "ports",
    type=int,
    multiple=True,
    help="AMQP port of a node (repeat for each; default: free ports).",
)
@click.option(
    "--net-ticktime",
    type=click.IntRange(min=1),
    default=None,
    help="Erlang's net_ticktime in seconds (default 60): how long the nodes take to call a "
    "silent (frozen) peer down (docs/operations.md).",
)
def start(directory: Path, size: int, ports: tuple[int, ...], net_ticktime: int | None) -> None:
    """Start the nodes and cluster them (again on their data if DIRECTORY holds a cluster
    already); print the settings that point kazoo-tasks at it."""
    if (directory / "cluster.json").exists() and not ports:
        cluster = RabbitMQCluster.recorded(directory)
    else:
        cluster = RabbitMQCluster(
            directory, size=len(ports) or size, ports=ports, net_ticktime=net_ticktime
        )
    cluster.start()
    click.echo(
        json.dumps(
            {
                "KAZOO_BROKER_URL": cluster.url,
                "KAZOO_BROKER_QUEUE_TYPE": "quorum",
                "nodes": [node.node for node in cluster.nodes],
            }
        )
    )


@rabbitmq.command()
@DIRECTORY
def stop(directory: Path) -> None:
    """Stop every node of the cluster recorded in DIRECTORY (its data stays)."""
    RabbitMQCluster.recorded(directory).stop()


@command.group()
def redis() -> None:
    """A Redis Cluster (three masters, three replicas) on 127.0.0.1, data in DIRECTORY."""


@redis.command("start")
@DIRECTORY
@click.option(
    "--port",
    "ports",
    type=int,
    multiple=True,
    help="Port of a node (repeat for each of the six; default: free ports).",
)
def redis_start(directory: Path, ports: tuple[int, ...]) -> None:
    """Start the nodes and make the cluster (again on their data if DIRECTORY holds one
    already); print the setting that points kazoo-tasks at it."""
    if (directory / "cluster.json").exists() and not ports:
        cluster = RedisClusterNodes.recorded(directory)
    else:
        cluster = RedisClusterNodes(directory, size=len(ports) or REDIS_SIZE, ports=ports)
    cluster.start()
    click.echo(
        json.dumps(
            {
                "KAZOO_REDIS_URL": cluster.url,
                "masters": [node.address for node in cluster.masters()],
            }
        )
    )


@redis.command("stop")
@DIRECTORY
def redis_stop(directory: Path) -> None:
    """Stop every node of the cluster recorded in DIRECTORY (its data stays)."""
    RedisClusterNodes.recorded(directory).stop()
