"""``kazoo-tasks cluster rabbitmq|redis start|stop DIR``: clustered nodes on 127.0.0.1,
outliving the command that started them, stopped by another.

Marked ``cluster`` (the nodes take about half a minute to start): ``make test-cluster``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from kombu import Connection, Queue

from kazoo_tasks import services
from kazoo_tasks.config import get_settings
from kazoo_tasks.testing.rabbitmq_cluster import RabbitMQCluster
from kazoo_tasks.testing.redis_cluster import RedisClusterNodes

pytestmark = pytest.mark.cluster


def cluster_command(*args: str, service: str = "rabbitmq") -> str:
    done = subprocess.run(
        [sys.executable, "-P", "-m", "kazoo_tasks", "cluster", service, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout


def test_given_a_folder_when_the_cluster_is_started_then_three_nodes_share_queues_until_stopped(
    tmp_path: Path,
):
    folder = tmp_path / "rabbitmq"
    try:
        printed = json.loads(cluster_command("start", str(folder), "--net-ticktime", "15"))
        urls = printed["KAZOO_BROKER_URL"].split(";")
        assert len(urls) == 3 and printed["KAZOO_BROKER_QUEUE_TYPE"] == "quorum"
        assert all(url.startswith("amqp://guest:guest@127.0.0.1:") for url in urls)
        cluster = RabbitMQCluster.recorded(folder)
        assert sorted(cluster.running_nodes()) == sorted(printed["nodes"])
        for node in cluster.nodes:  # how soon the others call a frozen node down
            assert node.ctl("eval", "net_kernel:get_net_ticktime().").strip() == "15"

        queue = Queue("kt-cli-check", durable=True, queue_arguments={"x-queue-type": "quorum"})
        with Connection(urls[0]) as first:
            first.Producer().publish("hello", routing_key=queue.name, declare=[queue])
        with Connection(urls[2]) as last:  # another node serves the same queue
            message = queue(last.default_channel).get(no_ack=True)
            assert message is not None and message.payload == "hello"
    finally:
        cluster_command("stop", str(folder))

    for node in RabbitMQCluster.recorded(folder).nodes:
        assert not node.responds()


def test_given_a_folder_when_the_redis_cluster_is_started_then_three_masters_serve_every_slot_until_stopped(  # noqa: E501
    tmp_path: Path,
):
    folder = tmp_path / "redis"
    try:
        printed = json.loads(cluster_command("start", str(folder), service="redis"))
        url = printed["KAZOO_REDIS_URL"]
        assert url.startswith(services.CLUSTER_SCHEME) and len(url.split(",")) == 6
        assert len(printed["masters"]) == 3
        settings = get_settings().with_overrides(redis_url=url, namespace="kt-cli-check")
        client = services.new_redis_client(settings)
        owners = {client.get_node_from_key(f"{{{n}}}").port for n in range(50)}
        assert len(owners) == 3  # keys spread over the three masters
        client.set("kt-cli-check", "hello")
        assert client.get("kt-cli-check") == "hello"
        client.close()
    finally:
        cluster_command("stop", str(folder), service="redis")

    for node in RedisClusterNodes.recorded(folder).nodes:
        assert not node.responds()
