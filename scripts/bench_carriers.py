"""How long choosing carriers takes a worker (callflow/carriers.py): for N resources of two
gateways each, all taking the number by their rules, the matches and their legs per call,
in CPU milliseconds (the documents read from the store are not counted: one query).

Usage: ``.venv/bin/python scripts/bench_carriers.py [--resources 5 20 100] [--calls 500]``
"""

from __future__ import annotations

import argparse
import time

from callflow.carriers import gateway_leg, routes
from callflow.endpoints import CallerId

ACCOUNT = "0" * 32


def pool(size: int) -> list[dict]:
    """``size`` resources, each with a rule of its own and a catch-all US rule."""
    return [
        {
            "_id": f"r{n:04d}",
            "name": f"carrier {n}",
            "weight_cost": n % 100,
            "rules": [f"^\\+1(\\d{{3}}{n % 1000:03d}\\d{{4}})$", "^\\+1(\\d{10})$"],
            "gateways": [{"server": f"gw{n}.test"}, {"server": f"gw{n}b.test", "port": 5080}],
        }
        for n in range(size)
    ]


def per_call(resources: list[dict], calls: int) -> tuple[float, int]:
    """CPU ms per call to choose and build the legs, and the legs built."""
    caller = CallerId("Example Co", "+14155559000")
    legs: list = []
    started = time.process_time()
    for _ in range(calls):
        found = routes(resources, "+14155550100", caller_number="+13125550100")
        legs = [
            gateway_leg(r, g, account_id=ACCOUNT, caller=caller, profile="p", global_resource=False)
            for r in found
            for g in r.gateways
        ]
    return (time.process_time() - started) / calls * 1000, len(legs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, nargs="+", default=[5, 20, 100])
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    for size in args.resources:
        resources = pool(size)
        per_call(resources, 1)  # rules compiled once per worker process
        ms, legs = per_call(resources, args.calls)
        print(f"{size:4d} resources: {legs:4d} legs, {ms:.3f} ms CPU per call")


if __name__ == "__main__":
    main()
