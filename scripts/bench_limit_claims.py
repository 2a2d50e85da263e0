"""What enforcing limits costs per call: the claim script and the release on Redis.

    .venv/bin/python scripts/bench_limit_claims.py [--calls 5000] [--threads 8]
        [--redis redis://127.0.0.1:6379/0]

Claims ``--calls`` calls (an account with trunks and its reseller, as a carrier call
does: the heaviest claim) from ``--threads`` threads, then releases them, in a namespace
of its own (deleted after). Prints one JSON line: calls, threads, claims and releases
per second, and the median and 99th percentile of one claim in microseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import redis

from kazoo_tasks.limit_claims import AccountLimits, LimitClaims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    namespace = f"benchlimits{uuid.uuid4().hex[:8]}"
    pool = redis.BlockingConnectionPool.from_url(args.redis, max_connections=args.threads)
    client = redis.Redis(connection_pool=pool)
    claims = LimitClaims(client, namespace)
    limits = [
        AccountLimits("account", twoway_trunks=args.calls, resource_consuming_calls=args.calls),
        AccountLimits("reseller", calls=args.calls),
    ]
    now = time.time()

    def claim(index: int) -> float:
        started = time.perf_counter()
        claimed = claims.claim(
            f"call-{index}", limits, call=True, carrier=True, direction="inbound",
            now=now, expire_at=now + 3600,
        )  # fmt: skip
        assert claimed.allowed, claimed
        return time.perf_counter() - started

    try:
        with ThreadPoolExecutor(args.threads) as workers:
            started = time.perf_counter()
            took = list(workers.map(claim, range(args.calls)))
            claiming = time.perf_counter() - started
            started = time.perf_counter()
            list(workers.map(lambda i: claims.release([f"call-{i}"], ["account", "reseller"]),
                             range(args.calls)))  # fmt: skip
            releasing = time.perf_counter() - started
        micros = sorted(t * 1e6 for t in took)
        print(json.dumps({
            "calls": args.calls, "threads": args.threads,
            "claims_per_s": round(args.calls / claiming),
            "releases_per_s": round(args.calls / releasing),
            "claim_p50_us": round(statistics.median(micros)),
            "claim_p99_us": round(micros[int(len(micros) * 0.99) - 1]),
        }))  # fmt: skip
    finally:
        for key in client.scan_iter(f"{namespace}:*"):
            client.delete(key)
        client.close()


if __name__ == "__main__":
    main()
