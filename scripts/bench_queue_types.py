"""Classic durable queues against quorum queues, as the call pipeline uses them: persistent
messages published one at a time with publisher confirms, consumed with acknowledgements.

Starts a private RabbitMQ node (kazoo_tasks.testing.services), so the shared broker is
not disturbed, and prints one JSON line per queue type:

    .venv/bin/python scripts/bench_queue_types.py --messages 5000

``--cluster`` starts a 3-node cluster (kazoo_tasks.testing.rabbitmq_cluster) instead and
measures the quorum queue there (a classic queue on a cluster dies with its node, so it is
no alternative): the cost of replicating each message to a majority.

docs/reliability.md quotes the figures and the choice they support.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from kombu import Connection, Exchange, Queue

from kazoo_tasks.testing.rabbitmq_cluster import RabbitMQCluster
from kazoo_tasks.testing.services import PrivateRabbitMQ


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def run(url: str, queue_type: str, messages: int) -> dict[str, object]:
    exchange = Exchange(f"bench.{queue_type}", type="direct", durable=True)
    arguments = {"x-queue-type": queue_type}
    queue = Queue(
        f"bench.{queue_type}", exchange, routing_key="k", durable=True, queue_arguments=arguments
    )
    body = {
        "id": "x" * 36,
        "call_id": "y" * 36,
        "kind": "execute",
        "app": "playback",
        "args": "z" * 60,
    }
    latencies = []
    with Connection(url, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        producer.publish(body, exchange=exchange, routing_key="k", declare=[queue])
        started = time.perf_counter()
        for _ in range(messages):
            before = time.perf_counter()
            producer.publish(body, exchange=exchange, routing_key="k", delivery_mode=2)
            latencies.append(time.perf_counter() - before)
        published_s = time.perf_counter() - started
        received = 0
        consumed_at = time.perf_counter()

        def on_message(_body: object, message: object) -> None:
            nonlocal received
            received += 1
            message.ack()  # type: ignore[attr-defined]

        with conn.Consumer([queue], callbacks=[on_message], prefetch_count=16):
            while received < messages + 1:
                conn.drain_events(timeout=10)
        consumed_s = time.perf_counter() - consumed_at
    return {
        "queue_type": queue_type,
        "nodes": url.count(";") + 1,
        "messages": messages,
        "publish_confirmed_ms_p50": round(statistics.median(latencies) * 1000, 3),
        "publish_confirmed_ms_p99": round(percentile(latencies, 99) * 1000, 3),
        "publish_per_s": round(messages / published_s),
        "consume_ack_per_s": round((messages + 1) / consumed_s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--cluster", action="store_true", help="quorum on a 3-node cluster")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kazoo-queues-") as workdir:
        if args.cluster:
            with RabbitMQCluster(Path(workdir) / "rabbitmq") as cluster:
                print(json.dumps(run(cluster.url, "quorum", args.messages)), flush=True)
            return
        with PrivateRabbitMQ(Path(workdir) / "rabbitmq") as broker:
            for queue_type in ("classic", "quorum"):
                print(json.dumps(run(broker.url, queue_type, args.messages)), flush=True)


if __name__ == "__main__":
    main()
