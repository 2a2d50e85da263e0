"""Measure Celery's floor on this machine: prefork vs gevent, with our app's configuration.

For each pool it starts a worker process serving a throw-away namespace on the real
RabbitMQ (broker) and Redis (result backend), then measures

* round trip: ``apply_async`` + ``get`` of a trivial task, one at a time (p50/p99 ms);
* throughput: N trivial fire-and-forget tasks published as fast as possible while the
  worker consumes them (tasks/s, from the first publish to the last task done).

Usage: ``.venv/bin/python scripts/bench_celery_pools.py [--tasks 3000] [--round-trips 500]``
Prints one JSON line per pool. Numbers, not assertions: docs/celery.md quotes them.
"""

from __future__ import annotations

import sys

if sys.argv[1:3] == ["--serve", "gevent"]:  # patch before anything opens a socket
    from gevent import monkey

    monkey.patch_all()

import argparse
import json
import os
import statistics
import subprocess
import time
import uuid

import redis
from kombu import Connection

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from kazoo_tasks.bus import celery_queue_name  # noqa: E402
from kazoo_tasks.celery_app import CELERY_ROLES, make_app  # noqa: E402
from kazoo_tasks.config import Settings  # noqa: E402

BROKER = os.environ.get("KAZOO_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS = os.environ.get("KAZOO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POOLS = {"prefork": 2, "gevent": 100}


def bench_app(namespace: str):
    settings = Settings(
        namespace=namespace, broker_url=BROKER, redis_url=REDIS, result_backend=REDIS
    )
    app = make_app(settings, name="bench")
    app.conf.include = []
    client = redis.Redis.from_url(REDIS)

    @app.task(name="kazoo.call.bench_ping", ignore_result=False)
    def ping() -> str:
        return "pong"

    @app.task(name="kazoo.call.bench_count")
    def count() -> None:
        client.incr(f"{namespace}:bench:done")

    return app, ping, count


def serve(namespace: str, pool: str) -> None:
    app, _, _ = bench_app(namespace)
    app.worker_main(
        [
            "worker",
            f"--pool={pool}",
            f"--concurrency={POOLS[pool]}",
            f"--queues={celery_queue_name(namespace, 'callflow')}",
            f"--hostname=bench-{namespace}-{pool}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ]
    )


def measure(pool: str, tasks: int, round_trips: int) -> dict:
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [sys.executable, __file__, "--serve", pool, "--namespace", namespace],
        start_new_session=True,
    )
    app, ping, count = bench_app(namespace)
    client = redis.Redis.from_url(REDIS)
    try:
        ping.apply_async().get(timeout=60)  # the worker is up
        for _ in range(50):
            ping.apply_async().get(timeout=10)
        samples = []
        for _ in range(round_trips):
            started = time.perf_counter()
            ping.apply_async().get(timeout=10)
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        started = time.perf_counter()
        with app.producer_or_acquire() as producer:
            for _ in range(tasks):
                count.apply_async(producer=producer)
        while int(client.get(f"{namespace}:bench:done") or 0) < tasks:
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
        return {
            "pool": pool,
            "concurrency": POOLS[pool],
            "round_trip_ms_p50": round(statistics.median(samples), 2),
            "round_trip_ms_p99": round(samples[int(len(samples) * 0.99) - 1], 2),
            "tasks": tasks,
            "tasks_per_s": round(tasks / elapsed),
            "cpus": os.cpu_count(),
        }
    finally:
        os.killpg(worker.pid, 15)
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, 9)
            worker.wait(10)
        client.delete(f"{namespace}:bench:done")
        with Connection(BROKER) as conn:
            for role in CELERY_ROLES:
                conn.default_channel.queue_delete(celery_queue_name(namespace, role))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--round-trips", type=int, default=500)
    parser.add_argument("--pools", default=",".join(POOLS))
    parser.add_argument("--serve", choices=sorted(POOLS), help=argparse.SUPPRESS)
    parser.add_argument("--namespace", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.namespace, args.serve)
        return
    for pool in args.pools.split(","):
        print(json.dumps(measure(pool, args.tasks, args.round_trips)), flush=True)


if __name__ == "__main__":
    main()
