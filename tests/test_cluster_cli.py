"""``kazoo-tasks cluster rabbitmq start|stop DIR``: three clustered nodes on 127.0.0.1,
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

from kazoo_tasks.testing.rabbitmq_cluster import RabbitMQCluster

pytestmark = pytest.mark.cluster


def cluster_command(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-P", "-m", "kazoo_tasks", "cluster", "rabbitmq", *args],
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
        printed = json.loads(cluster_command("start", str(folder)))
        urls = printed["KAZOO_BROKER_URL"].split(";")
        assert len(urls) == 3 and printed["KAZOO_BROKER_QUEUE_TYPE"] == "quorum"
        assert all(url.startswith("amqp://guest:guest@127.0.0.1:") for url in urls)
        cluster = RabbitMQCluster.recorded(folder)
        assert sorted(cluster.running_nodes()) == sorted(printed["nodes"])

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
