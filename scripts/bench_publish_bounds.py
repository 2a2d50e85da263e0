"""What the publish bounds cost: ``handle_events`` sends with and without
``KAZOO_BROKER_CONFIRM_TIMEOUT``, on one connection, as ecallmgr's publishers send.

    .venv/bin/python scripts/bench_publish_bounds.py [-n 2000] [--broker amqp://...]

Prints one JSON line per mode: CPU and wall time per confirmed publish (p50, p99). The
messages go to a queue of a namespace of their own, deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid

from kombu import Connection, Producer, Queue

from kazoo_tasks.bus import EVENTS_TASK
from kazoo_tasks.celery_app import make_app
from kazoo_tasks.config import Settings
from kazoo_tasks.task_sender import TaskSender


def run(broker: str, count: int, confirm_timeout: float) -> dict[str, float]:
    """Send ``count`` tasks with ``confirm_timeout`` (0: unbounded); the figures."""
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    settings = Settings(
        namespace=namespace, broker_url=broker, broker_confirm_timeout=confirm_timeout
    )
    app = make_app(settings)
    queue = Queue(f"{namespace}.callflow")  # declared by the first send, as Celery does
    with Connection(broker) as admin:
        sender = TaskSender(app, EVENTS_TASK, queue.name)
        connection = app.connection_for_write()
        producer = Producer(connection)
        try:
            sender.send(producer, "warm-up")
            walls: list[float] = []
            cpu_start = time.process_time()
            for index in range(count):
                started = time.perf_counter()
                sender.send(producer, f"call-{index}")
                walls.append(time.perf_counter() - started)
            cpu = time.process_time() - cpu_start
        finally:
            connection.release()
            queue(admin.default_channel).delete()
    walls.sort()
    return {
        "confirm_timeout": confirm_timeout,
        "publishes": count,
        "cpu_us_per_publish": round(cpu / count * 1e6, 1),
        "wall_p50_ms": round(statistics.median(walls) * 1e3, 3),
        "wall_p99_ms": round(walls[int(count * 0.99)] * 1e3, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672//")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per mode")
    options = parser.parse_args()
    for _ in range(options.rounds):
        for timeout in (0.0, 10.0):
            print(json.dumps(run(options.broker, options.n, timeout)), flush=True)


if __name__ == "__main__":
    main()
